"""The HorizontalPodAutoscaler algorithm for Resource metrics, as Kubernetes documents it.

Source: https://kubernetes.io/docs/concepts/workloads/autoscaling/horizontal-pod-autoscale/
("Algorithm details", "Configurable scaling behavior") and the controller that implements
it, pkg/controller/podautoscaler/horizontal.go and replica_calculator.go in
kubernetes/kubernetes. One `HpaController` keeps the state the real controller keeps per
HPA object: past recommendations (for stabilization windows) and scale events (for the
periods of the scaling policies).
"""

import math
from dataclasses import dataclass, field

# The controller's default --horizontal-pod-autoscaler-tolerance.
DEFAULT_TOLERANCE = 0.1
# The controller's default --horizontal-pod-autoscaler-sync-period, in seconds.
SYNC_PERIOD_SECONDS = 15


@dataclass(frozen=True)
class ScalingPolicy:
    """One entry of `behavior.scaleUp.policies` or `behavior.scaleDown.policies`."""

    type: str
    value: int
    period_seconds: int


@dataclass(frozen=True)
class ScalingRules:
    """`behavior.scaleUp` or `behavior.scaleDown` with the API defaults filled in."""

    stabilization_window_seconds: int
    select_policy: str
    policies: tuple[ScalingPolicy, ...]


# The defaults the autoscaling/v2 API fills in for a missing field of `behavior`.
DEFAULT_SCALE_UP = ScalingRules(
    stabilization_window_seconds=0,
    select_policy="Max",
    policies=(ScalingPolicy("Percent", 100, 15), ScalingPolicy("Pods", 4, 15)),
)
DEFAULT_SCALE_DOWN = ScalingRules(
    stabilization_window_seconds=300,
    select_policy="Max",
    policies=(ScalingPolicy("Percent", 100, 15),),
)


@dataclass(frozen=True)
class MetricTarget:
    """A Resource metric with a Utilization target: percent of the pods' request."""

    resource: str
    average_utilization: int


@dataclass(frozen=True)
class HpaSpec:
    name: str
    target_name: str
    min_replicas: int
    max_replicas: int
    metrics: tuple[MetricTarget, ...]
    scale_up: ScalingRules = DEFAULT_SCALE_UP
    scale_down: ScalingRules = DEFAULT_SCALE_DOWN


@dataclass(frozen=True)
class MetricSample:
    """One metric from the resource metrics API: the mean utilization of the ready pods."""

    utilization: float
    ready_pods: int
    unready_pods: int = 0


@dataclass(frozen=True)
class Decision:
    desired_replicas: int
    # Recommendation from the metrics before stabilization, policies and min/max.
    recommended_replicas: int
    # Why the desired count differs from the recommendation, in the HPA conditions' terms:
    # ScaleUpStabilized, ScaleDownStabilized, ScaleUpLimit, ScaleDownLimit, TooManyReplicas,
    # TooFewReplicas, or DesiredWithinRange.
    reason: str


def replicas_for_metric(
    current_replicas: int,
    sample: MetricSample,
    target_utilization: float,
    tolerance: float = DEFAULT_TOLERANCE,
) -> int:
    """Compute ceil(pods × current / target), skipping changes within the tolerance.

    Pods that are not ready yet count as using 0% when the ratio calls for a scale-up, so
    the controller does not add pods for load that starting pods will soon take. A
    scale-down ignores them. Both follow replica_calculator.go.
    """
    usage_ratio = sample.utilization / target_utilization
    if abs(1.0 - usage_ratio) <= tolerance:
        return current_replicas

    if sample.unready_pods == 0 or usage_ratio < 1.0:
        return math.ceil(usage_ratio * sample.ready_pods)

    counted_pods = sample.ready_pods + sample.unready_pods
    new_ratio = sample.utilization * sample.ready_pods / (counted_pods * target_utilization)
    if abs(1.0 - new_ratio) <= tolerance or new_ratio < 1.0:
        return current_replicas

    proposal = math.ceil(new_ratio * counted_pods)
    return max(proposal, current_replicas)


def replica_change_in_period(events: list[tuple[float, int]], now: float, period: int) -> int:
    """Sum the replica changes of the events strictly after now - period."""
    cutoff = now - period
    return sum(change for timestamp, change in events if timestamp > cutoff)


@dataclass
class HpaController:
    """The state and reconcile step of the controller for one HPA object."""

    spec: HpaSpec
    tolerance: float = DEFAULT_TOLERANCE
    recommendations: list[tuple[float, int]] = field(default_factory=list)
    scale_up_events: list[tuple[float, int]] = field(default_factory=list)
    scale_down_events: list[tuple[float, int]] = field(default_factory=list)
    _initialized: bool = False

    def reconcile(
        self, now: float, current_replicas: int, samples: dict[str, MetricSample | None]
    ) -> Decision:
        """Return the replica count the controller sets at `now`; None marks an unknown metric."""
        if not self._initialized:
            self._initialize(now, current_replicas)

        if current_replicas > self.spec.max_replicas:
            return self._record(now, current_replicas, self.spec.max_replicas, "TooManyReplicas")
        if current_replicas < self.spec.min_replicas:
            return self._record(now, current_replicas, self.spec.min_replicas, "TooFewReplicas")

        recommended = self._recommend(current_replicas, samples)
        stabilized, reason = self._stabilize(now, current_replicas, recommended)
        desired, limit_reason = self._apply_rate_limits(now, current_replicas, stabilized)
        decision = Decision(desired, recommended, limit_reason or reason or "DesiredWithinRange")
        self._store_scale_event(now, current_replicas, desired)
        return decision

    def _initialize(self, now: float, current_replicas: int) -> None:
        # The controller seeds the scale-down window with the current count, so a freshly
        # created HPA does not scale in before one window has passed.
        if self.spec.scale_down.stabilization_window_seconds > 0:
            self.recommendations.append((now, current_replicas))
        self._initialized = True

    def _recommend(self, current_replicas: int, samples: dict[str, MetricSample | None]) -> int:
        """Return the highest recommendation among the metrics with a known value."""
        proposals = []
        for metric in self.spec.metrics:
            sample = samples.get(metric.resource)
            if sample is None:
                continue
            proposals.append(
                replicas_for_metric(
                    current_replicas, sample, metric.average_utilization, self.tolerance
                )
            )
        if not proposals:
            return current_replicas

        recommended = max(proposals)
        # With some metric unknown, the controller scales up on the known ones but does not
        # scale down, because the unknown one might call for more pods.
        if len(proposals) < len(self.spec.metrics) and recommended < current_replicas:
            return current_replicas
        return recommended

    def _stabilize(self, now: float, current_replicas: int, recommended: int) -> tuple[int, str]:
        """Take the lowest recommendation of the scale-up window and the highest of the
        scale-down window, then bound the current count by them."""
        up_cutoff = now - self.spec.scale_up.stabilization_window_seconds
        down_cutoff = now - self.spec.scale_down.stabilization_window_seconds
        up_bound = recommended
        down_bound = recommended
        for timestamp, value in self.recommendations:
            if timestamp > up_cutoff:
                up_bound = min(up_bound, value)
            if timestamp > down_cutoff:
                down_bound = max(down_bound, value)

        longest = max(
            self.spec.scale_up.stabilization_window_seconds,
            self.spec.scale_down.stabilization_window_seconds,
        )
        self.recommendations = [r for r in self.recommendations if r[0] > now - longest]
        self.recommendations.append((now, recommended))

        stabilized = min(max(current_replicas, up_bound), down_bound)
        if stabilized == recommended:
            return stabilized, ""
        if recommended > stabilized:
            return stabilized, "ScaleUpStabilized"
        return stabilized, "ScaleDownStabilized"

    def _apply_rate_limits(self, now: float, current: int, desired: int) -> tuple[int, str]:
        """Bound a change by the scaling policies and by minReplicas and maxReplicas."""
        if desired > current:
            limit = max(self._scale_up_limit(now, current), current)
            highest = min(limit, self.spec.max_replicas)
            reason = "ScaleUpLimit" if limit < self.spec.max_replicas else "TooManyReplicas"
            return (highest, reason) if desired > highest else (desired, "")

        if desired < current:
            limit = min(self._scale_down_limit(now, current), current)
            lowest = max(limit, self.spec.min_replicas)
            reason = "ScaleDownLimit" if limit > self.spec.min_replicas else "TooFewReplicas"
            return (lowest, reason) if desired < lowest else (desired, "")

        return desired, ""

    def _period_start(self, now: float, current: int, period: int) -> int:
        added = replica_change_in_period(self.scale_up_events, now, period)
        removed = replica_change_in_period(self.scale_down_events, now, period)
        return current - added + removed

    def _scale_up_limit(self, now: float, current: int) -> int:
        rules = self.spec.scale_up
        if rules.select_policy == "Disabled":
            return current

        proposals = []
        for policy in rules.policies:
            start = self._period_start(now, current, policy.period_seconds)
            if policy.type == "Pods":
                proposals.append(start + policy.value)
            else:
                # Rounded up so that a small Percent still adds at least one pod.
                proposals.append(math.ceil(start * (1 + policy.value / 100)))
        return min(proposals) if rules.select_policy == "Min" else max(proposals)

    def _scale_down_limit(self, now: float, current: int) -> int:
        rules = self.spec.scale_down
        if rules.select_policy == "Disabled":
            return current

        proposals = []
        for policy in rules.policies:
            start = self._period_start(now, current, policy.period_seconds)
            if policy.type == "Pods":
                proposals.append(start - policy.value)
            else:
                # Truncated as the controller's int32 conversion does: the pods removed are
                # the percentage rounded up.
                proposals.append(int(start * (1 - policy.value / 100)))
        # "Max" means the largest change, which for a scale-down is the lowest count.
        return max(proposals) if rules.select_policy == "Min" else min(proposals)

    def _store_scale_event(self, now: float, current: int, desired: int) -> None:
        if desired > current:
            self.scale_up_events.append((now, desired - current))
        elif desired < current:
            self.scale_down_events.append((now, current - desired))

    def _record(self, now: float, current: int, desired: int, reason: str) -> Decision:
        self._store_scale_event(now, current, desired)
        return Decision(desired, desired, reason)
