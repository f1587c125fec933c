"""Predict replicas over time per service from measured costs, a load profile and the HPAs.

The load is Locust users turned into requests/s with the rate measured on the local stack.
Each service's CPU demand is requests/s times its measured CPU seconds per request. Every
sync period each HPA reconciles with `HpaController`, the documented algorithm.

NOTE: the model leaves out metrics-server's scrape window (about 15 s of lag), the
controller's CPU initialization period, and CPU that does not scale with load. New pods
serve load after `pod_ready_seconds` and count as unready until then.
"""

from dataclasses import dataclass, field

from loadtest.hpa.algorithm import SYNC_PERIOD_SECONDS, HpaController, MetricSample
from loadtest.hpa.manifests import DEFAULT_POOL_MAX_SIZE, Overlay
from loadtest.profiles import Profile


@dataclass(frozen=True)
class ServiceCost:
    """Measured cost of one service per request of the whole traffic mix at the gateway."""

    cpu_seconds_per_request: float
    rss_bytes_under_load: int


@dataclass(frozen=True)
class Capacity:
    # Gateway requests per second that one Locust user makes with the locustfile's mix.
    requests_per_user: float
    services: dict[str, ServiceCost]


@dataclass
class ServiceState:
    controller: HpaController
    # Times at which each pod becomes ready; one entry per pod.
    pod_ready_times: list[float]
    saturated_seconds: int = 0

    def ready_pods(self, now: float) -> int:
        return sum(1 for ready_at in self.pod_ready_times if ready_at <= now)


@dataclass(frozen=True)
class Row:
    """The state of the system at one HPA sync."""

    elapsed: float
    users: float
    requests_per_second: float
    replicas: dict[str, int]
    cpu_utilization: dict[str, float]


@dataclass
class SimulationResult:
    rows: list[Row] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SimulationSettings:
    # Seconds from pod creation to readiness: image pull, Python start and readiness probe.
    pod_ready_seconds: float = 20.0
    sync_period_seconds: int = SYNC_PERIOD_SECONDS
    # Seconds simulated after the profile ends, so that scale-in shows.
    tail_seconds: float = 0.0


def simulate(
    overlay: Overlay,
    capacity: Capacity,
    profile: Profile,
    settings: SimulationSettings = SimulationSettings(),
) -> SimulationResult:
    services = _initial_states(overlay, capacity)
    result = SimulationResult()
    users = 0.0
    end = profile.duration_seconds + settings.tail_seconds

    for second in range(int(end) + 1):
        now = float(second)
        target = profile.users_at(now) if now < profile.duration_seconds else 0
        users = _approach(users, target, profile.spawn_rate)
        rps = users * capacity.requests_per_user
        utilization = {
            name: _cpu_utilization(overlay, capacity, name, state, rps, now)
            for name, state in services.items()
        }
        if second % settings.sync_period_seconds != 0:
            continue

        replicas = {}
        for name, state in services.items():
            replicas[name] = _reconcile(overlay, capacity, name, state, now, utilization[name],
                                        settings)
        result.rows.append(Row(now, users, rps, replicas, utilization))

    result.warnings = _warnings(overlay, services, result.rows)
    return result


def _initial_states(overlay: Overlay, capacity: Capacity) -> dict[str, ServiceState]:
    states = {}
    for name, spec in overlay.hpas.items():
        if name not in capacity.services:
            continue
        states[name] = ServiceState(HpaController(spec), [0.0] * spec.min_replicas)
    return states


def _approach(current: float, target: float, rate: float) -> float:
    """Move the user count one second toward the target at the spawn rate."""
    if current < target:
        return min(target, current + rate)
    return max(target, current - rate)


def _cpu_utilization(
    overlay: Overlay, capacity: Capacity, name: str, state: ServiceState, rps: float, now: float
) -> float:
    """Return the mean CPU utilization of ready pods, in percent of the CPU request."""
    workload = overlay.workloads[name]
    if workload.cpu_request_cores <= 0:
        return 0.0
    ready = max(state.ready_pods(now), 1)
    demand_cores = rps * capacity.services[name].cpu_seconds_per_request
    per_pod = demand_cores / ready
    limit = workload.cpu_limit_cores
    if limit is not None and per_pod > limit:
        # A pod cannot use more than its CPU limit; the rest of the load queues or fails.
        state.saturated_seconds += 1
        per_pod = limit
    return 100.0 * per_pod / workload.cpu_request_cores


def _reconcile(
    overlay: Overlay,
    capacity: Capacity,
    name: str,
    state: ServiceState,
    now: float,
    cpu_utilization: float,
    settings: SimulationSettings,
) -> int:
    current = len(state.pod_ready_times)
    ready = state.ready_pods(now)
    workload = overlay.workloads[name]
    # A metric whose request is missing is unknown to the HPA, as on a cluster.
    samples: dict[str, MetricSample | None] = {"cpu": None, "memory": None}
    if workload.cpu_request_cores > 0 and ready > 0:
        samples["cpu"] = MetricSample(cpu_utilization, ready, current - ready)
    if workload.memory_request_bytes > 0 and ready > 0:
        rss = capacity.services[name].rss_bytes_under_load
        memory = 100.0 * rss / workload.memory_request_bytes
        samples["memory"] = MetricSample(memory, ready, current - ready)
    desired = state.controller.reconcile(now, current, samples).desired_replicas

    if desired > current:
        state.pod_ready_times.extend([now + settings.pod_ready_seconds] * (desired - current))
    elif desired < current:
        # The ReplicaSet controller deletes unready and then the newest pods first.
        state.pod_ready_times.sort()
        del state.pod_ready_times[desired:]
    return desired


def _warnings(overlay: Overlay, services: dict[str, ServiceState], rows: list[Row]) -> list[str]:
    warnings = []
    for name, state in services.items():
        spec = overlay.hpas[name]
        peak = max(row.replicas[name] for row in rows)
        first_at_max = next(
            (row.elapsed for row in rows if row.replicas[name] >= spec.max_replicas), None
        )
        if first_at_max is not None:
            warnings.append(
                f"{name}: reaches maxReplicas={spec.max_replicas} at {first_at_max:.0f} s; "
                "load beyond that is not absorbed by more pods"
            )
        if state.saturated_seconds:
            warnings.append(
                f"{name}: demand exceeds the pods' CPU limit for {state.saturated_seconds} s; "
                "expect queueing and errors"
            )
        warnings.extend(_connection_warning(overlay, name, peak))
    return warnings


def _connection_warning(overlay: Overlay, name: str, peak_replicas: int) -> list[str]:
    budget = overlay.connection_budgets.get(name)
    if budget is None:
        return []
    pool = overlay.workloads[name].pool_max_size or DEFAULT_POOL_MAX_SIZE
    needed = peak_replicas * pool
    if needed <= budget:
        return []
    return [
        f"{name}: {peak_replicas} pods x DB_POOL_MAX_SIZE {pool} = {needed} connections, "
        f"over the {budget} its PostgreSQL accepts; lower the pool size or maxReplicas"
    ]
