"""Poll a cluster's HPA objects and Deployments with kubectl and record what they report.

The parsing works on the JSON of `kubectl get hpa -o json` and `kubectl get deploy -o
json`, so it is tested on recorded documents without a cluster.
"""

import json
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from loadtest.hpa.manifests import kubectl_path

# Seconds kubectl may wait for the API server on each call.
REQUEST_TIMEOUT_SECONDS = 5


class ObserverError(RuntimeError):
    pass


@dataclass(frozen=True)
class MetricReading:
    """One Resource metric of an HPA: utilization in percent of the pods' request."""

    resource: str
    target: int
    # None when the HPA cannot read the metric; kubectl prints <unknown> then.
    current: int | None


@dataclass(frozen=True)
class HpaSample:
    timestamp: float
    name: str
    min_replicas: int
    max_replicas: int
    current_replicas: int
    desired_replicas: int
    metrics: tuple[MetricReading, ...]
    target_name: str = ""
    ready_replicas: int | None = None
    # Why a metric is unknown, in words a user can act on; empty when every metric is known.
    explanation: str = ""
    conditions: dict[str, tuple[str, str, str]] = field(default_factory=dict)

    def metric(self, resource: str) -> MetricReading | None:
        return next((m for m in self.metrics if m.resource == resource), None)


def parse_hpa_list(document: dict, timestamp: float) -> list[HpaSample]:
    """Turn a `kubectl get hpa -o json` List into one sample per HPA."""
    return [parse_hpa(item, timestamp) for item in document.get("items", [])]


def parse_hpa(item: dict, timestamp: float) -> HpaSample:
    spec = item["spec"]
    status = item.get("status") or {}
    conditions = {
        c["type"]: (c.get("status", ""), c.get("reason", ""), c.get("message", ""))
        for c in status.get("conditions") or []
    }
    metrics = _readings(spec.get("metrics") or [], status.get("currentMetrics") or [])
    sample = HpaSample(
        timestamp=timestamp,
        name=item["metadata"]["name"],
        min_replicas=spec.get("minReplicas", 1),
        max_replicas=spec["maxReplicas"],
        current_replicas=status.get("currentReplicas", 0),
        desired_replicas=status.get("desiredReplicas", 0),
        metrics=metrics,
        target_name=spec["scaleTargetRef"]["name"],
        conditions=conditions,
    )
    if any(m.current is None for m in metrics):
        return _with_explanation(sample)
    return sample


def _readings(spec_metrics: list[dict], current_metrics: list[dict]) -> tuple[MetricReading, ...]:
    current = {}
    for entry in current_metrics:
        # A metric the controller could not read is listed with type "" and no value.
        if entry.get("type") != "Resource":
            continue
        value = entry["resource"].get("current", {}).get("averageUtilization")
        current[entry["resource"]["name"]] = value

    readings = []
    for metric in spec_metrics:
        if metric.get("type") != "Resource":
            continue
        resource = metric["resource"]
        target = resource["target"].get("averageUtilization")
        if target is None:
            continue
        readings.append(MetricReading(resource["name"], int(target), current.get(resource["name"])))
    return tuple(readings)


def _with_explanation(sample: HpaSample) -> HpaSample:
    return HpaSample(**{**sample.__dict__, "explanation": explain_unknown(sample)})


def explain_unknown(sample: HpaSample) -> str:
    """Say why a metric is <unknown>, from the HPA's ScalingActive condition."""
    status, reason, message = sample.conditions.get("ScalingActive", ("", "", ""))
    unknown = ", ".join(m.resource for m in sample.metrics if m.current is None)
    if not sample.conditions:
        return (
            f"{unknown} unknown: the HPA controller has not processed {sample.name} yet; "
            "wait one sync period (15 s by default)"
        )
    if "metrics.k8s.io" in message or "resource metrics API" in message:
        return (
            f"{unknown} unknown: the resource metrics API does not answer, so metrics-server is "
            "missing or not ready; check `kubectl get apiservice v1beta1.metrics.k8s.io` and "
            f"install metrics-server ({reason}: {message})"
        )
    if "missing request for" in message:
        return (
            f"{unknown} unknown: a pod of {sample.name} has no resource request, and utilization "
            f"is a percentage of the request; set resources.requests ({reason}: {message})"
        )
    if "did not receive metrics for targeted pods" in message or "pods might be unready" in message:
        return (
            f"{unknown} unknown: no pod of {sample.name} has reported metrics yet; pods may be "
            f"starting or unready ({reason}: {message})"
        )
    return f"{unknown} unknown: ScalingActive={status} {reason}: {message}"


def parse_ready_replicas(document: dict) -> dict[str, int]:
    """Map Deployment name to status.readyReplicas from `kubectl get deploy -o json`."""
    return {
        item["metadata"]["name"]: (item.get("status") or {}).get("readyReplicas", 0)
        for item in document.get("items", [])
    }


class Kubectl:
    """Runs kubectl against the current context and returns parsed JSON."""

    def __init__(
        self, namespace: str, executable: str | None = None, context: str | None = None
    ) -> None:
        self.namespace = namespace
        self.executable = executable or kubectl_path()
        self.context = context

    def check_context(self) -> str:
        """Return the current context name, or raise ObserverError saying how to set one."""
        if self.context:
            return self.context
        result = self._run(["config", "current-context"])
        if result.returncode != 0 or not result.stdout.strip():
            raise ObserverError(
                "no kubectl context is set, so there is no cluster to observe "
                f"({result.stderr.strip() or 'empty current-context'}); point KUBECONFIG at a "
                "cluster or run `kubectl config use-context NAME`"
            )
        return result.stdout.strip()

    def get_json(self, resource: str) -> dict:
        result = self._run(
            ["get", resource, "-n", self.namespace, "-o", "json",
             f"--request-timeout={REQUEST_TIMEOUT_SECONDS}s"]
        )
        if result.returncode != 0:
            raise ObserverError(
                f"kubectl get {resource} -n {self.namespace} failed: {result.stderr.strip()}"
            )
        return json.loads(result.stdout)

    def _run(self, arguments: list[str]) -> subprocess.CompletedProcess:
        try:
            context = ["--context", self.context] if self.context else []
            return subprocess.run(
                [self.executable, *context, *arguments],
                capture_output=True,
                text=True,
                timeout=REQUEST_TIMEOUT_SECONDS * 3,
            )
        except FileNotFoundError as exc:
            raise ObserverError(f"{self.executable} not found; run `make install`") from exc
        except subprocess.TimeoutExpired as exc:
            raise ObserverError(f"kubectl {' '.join(arguments)} timed out") from exc


def observe_once(kubectl: Kubectl, timestamp: float) -> list[HpaSample]:
    hpas = parse_hpa_list(kubectl.get_json("hpa"), timestamp)
    ready = parse_ready_replicas(kubectl.get_json("deployments"))
    return [HpaSample(**{**s.__dict__, "ready_replicas": ready.get(s.target_name)}) for s in hpas]


def observe(
    kubectl: Kubectl,
    *,
    interval_seconds: float,
    until: Callable[[], bool],
    deadline_seconds: float,
    on_sample: Callable[[HpaSample], None] = lambda sample: None,
) -> list[HpaSample]:
    """Poll every `interval_seconds` until `until()` is true or the deadline passes."""
    samples: list[HpaSample] = []
    deadline = time.monotonic() + deadline_seconds
    while not until() and time.monotonic() < deadline:
        started = time.monotonic()
        for sample in observe_once(kubectl, time.time()):
            samples.append(sample)
            on_sample(sample)
        time.sleep(max(0.0, interval_seconds - (time.monotonic() - started)))
    return samples
