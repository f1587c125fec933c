"""Rendering: every combination renders without deprecated kustomize fields or warnings."""

from pathlib import Path

import pytest
import yaml
from k8s_gate import KUSTOMIZE_DIR, NAMESPACE, REPO_ROOT, SERVICES

# Fields that still work but print deprecation warnings, or are gone from kustomize v5.
DEPRECATED_FIELDS = (
    "bases",
    "commonLabels",
    "patchesStrategicMerge",
    "patchesJson6902",
    "vars",
    "imageTags",
)
CLUSTER_SCOPED_KINDS = {"Namespace", "ClusterRole", "ClusterRoleBinding"}


def kustomization_files() -> list[Path]:
    folders = (KUSTOMIZE_DIR, REPO_ROOT / "k8s")
    return sorted(path for folder in folders for path in folder.rglob("kustomization.yaml"))


@pytest.mark.parametrize(
    "path", kustomization_files(), ids=lambda path: str(path.relative_to(REPO_ROOT))
)
def test_kustomization_uses_no_deprecated_field(path):
    fields = yaml.safe_load(path.read_text())

    used = sorted(set(fields) & set(DEPRECATED_FIELDS))

    assert used == [], f"{path}: replace {used} (resources, labels, patches, replacements)"


def test_render_prints_no_warning(rendered):
    assert rendered.stderr.strip() == "", f"{rendered.name} printed: {rendered.stderr}"


def test_render_has_objects(rendered):
    assert len(rendered.documents) > 0


def test_render_objects_in_shop_namespace(rendered):
    outside = [
        f"{doc['kind']}/{doc['metadata']['name']}"
        for doc in rendered.documents
        if doc["kind"] not in CLUSTER_SCOPED_KINDS and doc["metadata"].get("namespace") != NAMESPACE
    ]

    assert outside == []


def test_render_names_unique(rendered):
    keys = [(doc["kind"], doc["metadata"]["name"]) for doc in rendered.documents]

    duplicates = sorted({key for key in keys if keys.count(key) > 1})

    assert duplicates == []


def test_workloads_selected_by_name(overlay):
    for kind in ("Deployment", "StatefulSet"):
        for workload in overlay.of_kind(kind):
            name = workload["metadata"]["name"]
            labels = workload["spec"]["template"]["metadata"]["labels"]
            selector = workload["spec"]["selector"]["matchLabels"]

            assert labels["app.kubernetes.io/name"] == name, f"{kind}/{name}"
            assert labels["app.kubernetes.io/part-of"] == "shop", f"{kind}/{name}"
            assert "app.kubernetes.io/component" in labels, f"{kind}/{name}"
            assert selector == {"app.kubernetes.io/name": name}, f"{kind}/{name}"


def test_services_use_named_ports(overlay):
    for service in overlay.of_kind("Service"):
        name = service["metadata"]["name"]

        assert service["spec"]["selector"] == {"app.kubernetes.io/name": name}, name
        for port in service["spec"]["ports"]:
            assert "name" in port, f"Service/{name} has an unnamed port"
            assert isinstance(port["targetPort"], str), f"Service/{name}: target a named port"


@pytest.mark.parametrize("service", SERVICES)
def test_service_has_every_companion_object(overlay, service):
    for kind in (
        "Deployment",
        "Service",
        "ServiceAccount",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
    ):
        assert overlay.named(kind, service)["metadata"]["labels"]["app.kubernetes.io/name"] == (
            service
        ), f"{kind}/{service}"
    assert overlay.config_map(f"{service}-config")["data"]


@pytest.mark.parametrize("service", SERVICES)
def test_deployment_leaves_replicas_to_hpa(overlay, service):
    deployment = overlay.named("Deployment", service)
    hpa = overlay.named("HorizontalPodAutoscaler", service)

    assert "replicas" not in deployment["spec"]
    assert hpa["spec"]["scaleTargetRef"]["name"] == service


@pytest.mark.parametrize("service", SERVICES)
def test_hpa_cpu_memory_and_behavior(overlay, service):
    hpa = overlay.named("HorizontalPodAutoscaler", service)
    resources = sorted(metric["resource"]["name"] for metric in hpa["spec"]["metrics"])

    assert hpa["apiVersion"] == "autoscaling/v2"
    assert resources == ["cpu", "memory"]
    assert set(hpa["spec"]["behavior"]) == {"scaleUp", "scaleDown"}


def test_dev_runs_one_replica(dev):
    for hpa in dev.of_kind("HorizontalPodAutoscaler"):
        assert hpa["spec"]["minReplicas"] == 1, hpa["metadata"]["name"]


def test_prod_replica_range(prod):
    for hpa in prod.of_kind("HorizontalPodAutoscaler"):
        name = hpa["metadata"]["name"]

        assert hpa["spec"]["minReplicas"] in (2, 3), name
        assert hpa["spec"]["maxReplicas"] == 10, name


@pytest.mark.parametrize("service", SERVICES)
def test_prod_spreads_pods(prod, service):
    spec = prod.named("Deployment", service)["spec"]["template"]["spec"]
    keys = {constraint["topologyKey"] for constraint in spec["topologySpreadConstraints"]}

    assert keys == {"kubernetes.io/hostname", "topology.kubernetes.io/zone"}


@pytest.mark.parametrize("service", SERVICES)
def test_prod_image_tag_pinned(prod, service):
    image = prod.named("Deployment", service)["spec"]["template"]["spec"]["containers"][0]["image"]
    tag = image.rpartition(":")[2]

    assert "@sha256:" in image or tag not in ("", "latest", "dev"), image


def test_gateway_exposure(overlay):
    ingress = overlay.named("Ingress", "gateway")
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    service_type = overlay.named("Service", "gateway")["spec"]["type"]
    expected_type = "LoadBalancer" if overlay.name == "prod" else "ClusterIP"

    assert ingress["spec"]["rules"][0]["host"] != "shop.invalid"
    assert backend == {"name": "gateway", "port": {"name": "http"}}
    assert service_type == expected_type


def test_log_level_per_overlay(overlay):
    expected = {"dev": "DEBUG", "prod": "INFO"}[overlay.name]

    for service in SERVICES:
        data = overlay.config_map(f"{service}-config")["data"]

        assert data["LOG_LEVEL"] == expected, service


def test_namespace_enforces_restricted(overlay):
    labels = overlay.named("Namespace", NAMESPACE)["metadata"]["labels"]

    for mode in ("enforce", "audit", "warn"):
        assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted", mode
