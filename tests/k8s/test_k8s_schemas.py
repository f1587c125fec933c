"""Schemas: built-in kinds against Kubernetes' own, and CRDs and skaffold.yaml against the
published JSON schemas that CI checks out beside the repository.
"""

import functools
import json

import jsonschema
import kubernetes_validate
import pytest
import yaml
from k8s_gate import (
    KUBERNETES_VERSIONS,
    REPO_ROOT,
    SHARED_SCHEMAS,
    cached_render,
    combination_name,
    combinations,
    require_shared,
)

CRD_SCHEMAS = {
    ("monitoring.coreos.com/v1", "ServiceMonitor"): "monitoring.coreos.com_servicemonitor_v1",
    ("monitoring.coreos.com/v1", "PodMonitor"): "monitoring.coreos.com_podmonitor_v1",
    ("monitoring.coreos.com/v1", "PrometheusRule"): "monitoring.coreos.com_prometheusrule_v1",
    ("argoproj.io/v1alpha1", "Application"): "argoproj.io_application_v1alpha1",
    ("autoscaling.k8s.io/v1", "VerticalPodAutoscaler"): (
        "autoscaling.k8s.io_verticalpodautoscaler_v1"
    ),
}


@functools.cache
def builtin_error(document_json: str, version: str) -> str | None:
    """Validate one document; cached because combinations share most of their objects."""
    document = json.loads(document_json)
    try:
        kubernetes_validate.validate(document, version, strict=True)
    except kubernetes_validate.ValidationError as exc:
        return f"{'/'.join(map(str, exc.path))}: {exc.message}"
    return None


def crd_errors(document: dict) -> list[str]:
    file_name = CRD_SCHEMAS[(document["apiVersion"], document["kind"])]
    path = require_shared(SHARED_SCHEMAS / "crds" / f"{file_name}.json")
    validator = jsonschema.Draft7Validator(json.loads(path.read_text()))
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(document)
    ]


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_builtin_kinds_valid_strict(rendered, version):
    failures = []
    for document in rendered.documents:
        if (document["apiVersion"], document["kind"]) in CRD_SCHEMAS:
            continue
        error = builtin_error(json.dumps(document, sort_keys=True), version)
        if error is not None:
            failures.append(f"{document['kind']}/{document['metadata']['name']}: {error}")

    assert failures == []


@pytest.mark.parametrize(
    ("overlay_name", "components"),
    [combo for combo in combinations() if combo[1]],
    ids=[combination_name(*combo) for combo in combinations() if combo[1]],
)
def test_custom_resources_valid(overlay_name, components):
    rendered = cached_render(overlay_name, components)
    documents = [
        doc for doc in rendered.documents if (doc["apiVersion"], doc["kind"]) in CRD_SCHEMAS
    ]

    failures = {f"{doc['kind']}/{doc['metadata']['name']}": crd_errors(doc) for doc in documents}

    assert documents != []
    assert {name: errors for name, errors in failures.items() if errors} == {}


def test_argocd_application_valid():
    application = yaml.safe_load((REPO_ROOT / "k8s/argocd/application.yaml").read_text())

    assert crd_errors(application) == []


def test_argocd_application_syncs_prod_overlay():
    spec = yaml.safe_load((REPO_ROOT / "k8s/argocd/application.yaml").read_text())["spec"]

    assert spec["source"]["path"] == "kustomize/overlays/prod"
    assert spec["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}
    assert "CreateNamespace=true" in spec["syncPolicy"]["syncOptions"]


def test_skaffold_config_valid():
    schema_path = require_shared(SHARED_SCHEMAS / "skaffold-v4beta14.json")
    config = yaml.safe_load((REPO_ROOT / "skaffold.yaml").read_text())
    validator = jsonschema.Draft7Validator(json.loads(schema_path.read_text()))

    errors = [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(config)
    ]

    assert config["apiVersion"] == "skaffold/v4beta14"
    assert errors == []
