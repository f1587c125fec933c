"""Read HPA objects, pod requests and database budgets from a rendered kustomize overlay."""

import shutil
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from loadtest.hpa.algorithm import (
    DEFAULT_SCALE_DOWN,
    DEFAULT_SCALE_UP,
    HpaSpec,
    MetricTarget,
    ScalingPolicy,
    ScalingRules,
)

OVERLAYS = Path("kustomize/overlays")
# PostgreSQL's built-in defaults, used when the manifests do not set them.
POSTGRES_MAX_CONNECTIONS = 100
POSTGRES_RESERVED_CONNECTIONS = 3
# servicekit's DatabaseSettings default for DB_POOL_MAX_SIZE.
DEFAULT_POOL_MAX_SIZE = 10
# The autoscaling/v2 default when an HPA lists no metrics: CPU at 80% of the request.
DEFAULT_METRICS = (MetricTarget("cpu", 80),)


class ManifestError(RuntimeError):
    pass


@dataclass(frozen=True)
class Workload:
    """A Deployment's pod requests and database pool size, as the simulator uses them."""

    name: str
    cpu_request_cores: float
    memory_request_bytes: int
    cpu_limit_cores: float | None
    pool_max_size: int | None


@dataclass(frozen=True)
class Overlay:
    hpas: dict[str, HpaSpec]
    workloads: dict[str, Workload]
    # Connections each service's PostgreSQL accepts from clients that are not superusers.
    connection_budgets: dict[str, int]
    namespace: str | None


def kubectl_path() -> str:
    """Return the kubectl installed beside this Python (the dev tools), else the one on PATH."""
    beside = Path(sys.executable).parent / "kubectl"
    return str(beside) if beside.exists() else shutil.which("kubectl") or "kubectl"


def render_overlay(env: str, kubectl: str | None = None) -> str:
    """Run `kubectl kustomize` on kustomize/overlays/<env> and return the YAML."""
    kubectl = kubectl or kubectl_path()
    path = OVERLAYS / env
    if not path.is_dir():
        raise ManifestError(f"overlay {path} not found; ENV must name a folder under {OVERLAYS}")
    try:
        result = subprocess.run(
            [kubectl, "kustomize", str(path)], capture_output=True, text=True, timeout=60
        )
    except FileNotFoundError as exc:
        raise ManifestError(f"{kubectl} not found; run `make install` for the dev tools") from exc
    if result.returncode != 0:
        raise ManifestError(f"kubectl kustomize {path} failed: {result.stderr.strip()}")
    return result.stdout


def parse_overlay(text: str) -> Overlay:
    documents = [doc for doc in yaml.safe_load_all(text) if doc]
    config_maps = {
        doc["metadata"]["name"]: doc.get("data", {})
        for doc in documents
        if doc["kind"] == "ConfigMap"
    }
    hpas = {}
    workloads = {}
    budgets = {}
    namespace = None
    for doc in documents:
        kind = doc["kind"]
        if kind == "HorizontalPodAutoscaler":
            spec = parse_hpa(doc)
            hpas[spec.target_name] = spec
            namespace = doc["metadata"].get("namespace", namespace)
        elif kind == "Deployment":
            workload = parse_workload(doc, config_maps)
            workloads[workload.name] = workload
        elif kind == "StatefulSet" and doc["metadata"]["name"].startswith("postgres-"):
            # NOTE: a service's database is found by the name postgres-<service>; a
            # StatefulSet named otherwise is not counted in any budget.
            service = doc["metadata"]["name"].removeprefix("postgres-")
            budgets[service] = postgres_connection_budget(doc)
    return Overlay(hpas, workloads, budgets, namespace)


def parse_hpa(doc: dict) -> HpaSpec:
    """Build an HpaSpec from an autoscaling/v2 object, filling in the API defaults."""
    if doc.get("apiVersion") != "autoscaling/v2":
        raise ManifestError(
            f"HPA {doc['metadata']['name']} uses {doc.get('apiVersion')}; expected autoscaling/v2"
        )
    spec = doc["spec"]
    metrics = tuple(_parse_metric(metric) for metric in spec.get("metrics", []))
    behavior = spec.get("behavior") or {}
    return HpaSpec(
        name=doc["metadata"]["name"],
        target_name=spec["scaleTargetRef"]["name"],
        min_replicas=spec.get("minReplicas", 1),
        max_replicas=spec["maxReplicas"],
        metrics=tuple(m for m in metrics if m is not None) or DEFAULT_METRICS,
        scale_up=_parse_rules(behavior.get("scaleUp"), DEFAULT_SCALE_UP),
        scale_down=_parse_rules(behavior.get("scaleDown"), DEFAULT_SCALE_DOWN),
    )


def _parse_metric(metric: dict) -> MetricTarget | None:
    # NOTE: only Resource metrics with a Utilization target are simulated; Pods, Object,
    # External and ContainerResource metrics are skipped.
    if metric.get("type") != "Resource":
        return None
    target = metric["resource"]["target"]
    if target.get("type") != "Utilization":
        return None
    return MetricTarget(metric["resource"]["name"], int(target["averageUtilization"]))


def _parse_rules(rules: dict | None, default: ScalingRules) -> ScalingRules:
    if rules is None:
        return default
    policies = tuple(
        ScalingPolicy(p["type"], int(p["value"]), int(p["periodSeconds"]))
        for p in rules.get("policies") or []
    )
    return replace(
        default,
        stabilization_window_seconds=rules.get(
            "stabilizationWindowSeconds", default.stabilization_window_seconds
        ),
        select_policy=rules.get("selectPolicy", default.select_policy),
        policies=policies or default.policies,
    )


def parse_workload(doc: dict, config_maps: dict[str, dict]) -> Workload:
    """Sum the requests of the pod's containers: utilization is measured against that sum."""
    containers = doc["spec"]["template"]["spec"]["containers"]
    cpu = 0.0
    memory = 0
    limits = []
    pool = None
    for container in containers:
        resources = container.get("resources", {})
        requests = resources.get("requests", {})
        cpu += parse_cpu(requests["cpu"]) if "cpu" in requests else 0.0
        memory += parse_memory(requests["memory"]) if "memory" in requests else 0
        if "cpu" in resources.get("limits", {}):
            limits.append(parse_cpu(resources["limits"]["cpu"]))
        pool = _container_pool_size(container, config_maps) or pool
    return Workload(
        name=doc["metadata"]["name"],
        cpu_request_cores=cpu,
        memory_request_bytes=memory,
        cpu_limit_cores=sum(limits) if len(limits) == len(containers) else None,
        pool_max_size=pool,
    )


def _container_pool_size(container: dict, config_maps: dict[str, dict]) -> int | None:
    environment = {}
    for source in container.get("envFrom", []):
        name = source.get("configMapRef", {}).get("name")
        environment.update(config_maps.get(name, {}))
    for variable in container.get("env", []):
        if "value" in variable:
            environment[variable["name"]] = variable["value"]
    value = environment.get("DB_POOL_MAX_SIZE")
    return int(value) if value is not None else None


def postgres_connection_budget(doc: dict) -> int:
    """Return max_connections minus superuser_reserved_connections from the server's args."""
    settings = {}
    for container in doc["spec"]["template"]["spec"]["containers"]:
        arguments = [*container.get("command", []), *container.get("args", [])]
        for flag, value in zip(arguments, arguments[1:], strict=False):
            if flag == "-c" and "=" in value:
                key, _, setting = value.partition("=")
                settings[key.strip()] = setting.strip()
    maximum = int(settings.get("max_connections", POSTGRES_MAX_CONNECTIONS))
    reserved = int(settings.get("superuser_reserved_connections", POSTGRES_RESERVED_CONNECTIONS))
    return maximum - reserved


def parse_cpu(quantity: str | int | float) -> float:
    """Convert a Kubernetes CPU quantity ("100m", "0.5", 1) to cores."""
    text = str(quantity)
    if text.endswith("m"):
        return float(text[:-1]) / 1000
    return float(text)


_MEMORY_SUFFIXES = {
    "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40,
    "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12,
}


def parse_memory(quantity: str | int) -> int:
    """Convert a Kubernetes memory quantity ("128Mi", "1G", 1048576) to bytes."""
    text = str(quantity)
    for suffix in sorted(_MEMORY_SUFFIXES, key=len, reverse=True):
        if text.endswith(suffix):
            return int(float(text[: -len(suffix)]) * _MEMORY_SUFFIXES[suffix])
    return int(float(text))
