"""The simulator on a small overlay: manifests parsed, replicas predicted, warnings raised."""

import textwrap

import pytest

from loadtest.hpa.manifests import ManifestError, parse_cpu, parse_memory, parse_overlay
from loadtest.hpa.simulator import Capacity, ServiceCost, SimulationSettings, simulate
from loadtest.profiles import SoakProfile, StepProfile

OVERLAY = textwrap.dedent(
    """
    apiVersion: v1
    kind: ConfigMap
    metadata: {name: product-config-abc123, namespace: shop}
    data: {DB_POOL_MAX_SIZE: "10"}
    ---
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: product, namespace: shop}
    spec:
      template:
        spec:
          containers:
            - name: product
              envFrom: [{configMapRef: {name: product-config-abc123}}]
              resources:
                requests: {cpu: 100m, memory: 128Mi}
                limits: {cpu: "1", memory: 256Mi}
    ---
    apiVersion: apps/v1
    kind: StatefulSet
    metadata: {name: postgres-product, namespace: shop}
    spec:
      template:
        spec:
          containers:
            - name: postgres
              args: ["-c", "max_connections=50", "-c", "superuser_reserved_connections=3"]
    ---
    apiVersion: autoscaling/v2
    kind: HorizontalPodAutoscaler
    metadata: {name: product, namespace: shop}
    spec:
      scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: product}
      minReplicas: 2
      maxReplicas: 6
      metrics:
        - type: Resource
          resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
      behavior:
        scaleUp:
          policies: [{type: Pods, value: 2, periodSeconds: 30}]
        scaleDown:
          selectPolicy: Min
    """
)


def test_parse_overlay_reads_hpa_with_defaults():
    spec = parse_overlay(OVERLAY).hpas["product"]

    assert (spec.min_replicas, spec.max_replicas) == (2, 6)
    assert spec.scale_up.stabilization_window_seconds == 0
    assert spec.scale_up.policies[0].value == 2
    assert spec.scale_down.stabilization_window_seconds == 300
    assert spec.scale_down.select_policy == "Min"
    assert spec.scale_down.policies[0].type == "Percent"


def test_parse_overlay_reads_requests_and_pool():
    workload = parse_overlay(OVERLAY).workloads["product"]

    assert workload.cpu_request_cores == 0.1
    assert workload.memory_request_bytes == 128 * 2**20
    assert workload.cpu_limit_cores == 1.0
    assert workload.pool_max_size == 10


def test_parse_overlay_reads_connection_budget():
    assert parse_overlay(OVERLAY).connection_budgets == {"product": 47}


def test_parse_overlay_reads_namespace():
    assert parse_overlay(OVERLAY).namespace == "shop"


def test_parse_overlay_rejects_old_hpa_api():
    old = OVERLAY.replace("autoscaling/v2", "autoscaling/v1")

    with pytest.raises(ManifestError, match="expected autoscaling/v2"):
        parse_overlay(old)


@pytest.mark.parametrize(
    ("quantity", "cores"), [("100m", 0.1), ("1", 1.0), (2, 2.0), ("0.5", 0.5), ("1500m", 1.5)]
)
def test_parse_cpu_quantities(quantity, cores):
    assert parse_cpu(quantity) == cores


@pytest.mark.parametrize(
    ("quantity", "size"), [("128Mi", 134217728), ("1Gi", 2**30), ("1G", 10**9), ("512", 512)]
)
def test_parse_memory_quantities(quantity, size):
    assert parse_memory(quantity) == size


def capacity(cpu_seconds_per_request: float) -> Capacity:
    return Capacity(1.0, {"product": ServiceCost(cpu_seconds_per_request, 64 * 2**20)})


def test_simulate_steady_load_at_target_keeps_min():
    """20 users x 1 req/s x 7 ms = 0.14 cores over 2 pods of 0.1 cores: 70%, the target."""
    profile = SoakProfile(users=20, soak_seconds=300, spawn_rate=100)

    result = simulate(parse_overlay(OVERLAY), capacity(0.007), profile)

    utilization = {row.elapsed: row.cpu_utilization["product"] for row in result.rows}
    assert {row.replicas["product"] for row in result.rows} == {2}
    assert utilization[285] == pytest.approx(70.0)


def test_simulate_step_scales_up_within_policy():
    """40 users need 0.28 cores: 280% of 2 pods' requests at 70% target, ratio 2, so 4 pods.
    The Pods 2 per 30 s policy allows 2 -> 4 at once; at 4 pods the ratio is 1.0."""
    profile = SoakProfile(users=40, soak_seconds=120, spawn_rate=100)

    result = simulate(parse_overlay(OVERLAY), capacity(0.007), profile)
    replicas = {row.elapsed: row.replicas["product"] for row in result.rows}

    assert replicas[0] == 4
    assert replicas[120] == 4


def test_simulate_warns_at_max_replicas():
    profile = SoakProfile(users=200, soak_seconds=180, spawn_rate=100)

    result = simulate(parse_overlay(OVERLAY), capacity(0.007), profile)

    assert max(row.replicas["product"] for row in result.rows) == 6
    assert any("reaches maxReplicas=6" in w for w in result.warnings)


def test_simulate_warns_over_connection_budget():
    """6 pods x pool 10 = 60 connections, over max_connections 50 - 3 reserved = 47."""
    profile = SoakProfile(users=200, soak_seconds=180, spawn_rate=100)

    result = simulate(parse_overlay(OVERLAY), capacity(0.007), profile)

    assert any("60 connections, over the 47" in w for w in result.warnings)


def test_simulate_scale_in_waits_for_window():
    """Load stops at 300 s. The last recommendation of 4 pods is at 285 s; the default
    300 s scale-down window keeps it while 285 > now - 300, so until 570 s."""
    profile = StepProfile(start_users=40, step_users=0, steps=1, step_seconds=300,
                          hold_seconds=0, spawn_rate=100)
    settings = SimulationSettings(pod_ready_seconds=0, tail_seconds=700)

    result = simulate(parse_overlay(OVERLAY), capacity(0.007), profile, settings)
    replicas = {row.elapsed: row.replicas["product"] for row in result.rows}

    assert replicas[570] == 4
    assert replicas[585] == 2
