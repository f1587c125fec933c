"""Judge from observed samples whether each HPA did its job during a load test.

Checks per HPA: time from the metric crossing its target to the first scale-up, the
maximum replicas reached (never above maxReplicas), scale-in not before the scale-down
stabilization window, and the failure ratio of requests while replicas were changing.
"""

from dataclasses import dataclass, field

from loadtest.hpa.algorithm import SYNC_PERIOD_SECONDS, HpaSpec, MetricSample, replicas_for_metric
from loadtest.hpa.observer import HpaSample


@dataclass(frozen=True)
class HistoryPoint:
    """Cumulative request and failure counts of the whole Locust run at one moment."""

    timestamp: float
    requests: int
    failures: int


@dataclass(frozen=True)
class Check:
    name: str
    # None when the run gave no evidence either way (for example no scale-in happened).
    passed: bool | None
    detail: str


@dataclass
class Verdict:
    name: str
    checks: list[Check] = field(default_factory=list)
    explanation: str = ""

    @property
    def passed(self) -> bool:
        return not self.explanation and all(c.passed is not False for c in self.checks)

    def format(self) -> str:
        lines = [f"{self.name}: {'PASS' if self.passed else 'FAIL'}"]
        if self.explanation:
            lines.append(f"  metrics unknown: {self.explanation}")
        for check in self.checks:
            mark = {True: "ok", False: "FAILED", None: "not seen"}[check.passed]
            lines.append(f"  {check.name}: {mark}: {check.detail}")
        return "\n".join(lines)


def judge(
    samples: list[HpaSample],
    spec: HpaSpec,
    history: list[HistoryPoint],
    *,
    poll_seconds: float,
    max_failure_ratio: float,
) -> Verdict:
    verdict = Verdict(spec.name)
    if not samples:
        verdict.explanation = "no samples were recorded"
        return verdict
    if all(s.explanation for s in samples):
        verdict.explanation = samples[-1].explanation
        return verdict

    start = samples[0].timestamp
    verdict.checks.append(_check_scale_up(samples, start))
    verdict.checks.append(_check_max_replicas(samples))
    window = spec.scale_down.stabilization_window_seconds
    verdict.checks.append(_check_scale_in(samples, window, poll_seconds))
    verdict.checks.append(_check_failures(samples, history, poll_seconds, max_failure_ratio))
    return verdict


def _primary_utilization(sample: HpaSample) -> tuple[int | None, int]:
    reading = sample.metric("cpu") or (sample.metrics[0] if sample.metrics else None)
    if reading is None:
        return None, 0
    return reading.current, reading.target


def _check_scale_up(samples: list[HpaSample], start: float) -> Check:
    crossed = next(
        (s for s in samples if (u := _primary_utilization(s))[0] is not None and u[0] > u[1]),
        None,
    )
    if crossed is None:
        return Check("scale-up", None, "the metric never crossed its target; add users")

    base = crossed.current_replicas
    later = [s for s in samples if s.timestamp >= crossed.timestamp]
    scaled = next((s for s in later if max(s.desired_replicas, s.current_replicas) > base), None)
    crossed_at = crossed.timestamp - start
    if scaled is None:
        if base >= crossed.max_replicas:
            return Check("scale-up", None, f"target crossed at {crossed_at:.0f} s already at max")
        return Check("scale-up", False, f"target crossed at {crossed_at:.0f} s, no scale-up seen")
    delay = scaled.timestamp - crossed.timestamp
    return Check(
        "scale-up",
        True,
        f"target crossed at {crossed_at:.0f} s, first scale-up {delay:.0f} s later "
        f"({base} -> {max(scaled.desired_replicas, scaled.current_replicas)} replicas)",
    )


def _check_max_replicas(samples: list[HpaSample]) -> Check:
    reached = max(max(s.current_replicas, s.desired_replicas) for s in samples)
    allowed = samples[0].max_replicas
    return Check(
        "maxReplicas",
        reached <= allowed,
        f"reached {reached} of maxReplicas {allowed}",
    )


def raw_recommendation(sample: HpaSample) -> int | None:
    """Recompute the controller's recommendation before stabilization from a sample."""
    proposals = []
    ready = sample.ready_replicas or sample.current_replicas
    for reading in sample.metrics:
        if reading.current is None or ready == 0:
            continue
        metric = MetricSample(reading.current, ready)
        proposals.append(replicas_for_metric(sample.current_replicas, metric, reading.target))
    return max(proposals) if proposals else None


def _check_scale_in(samples: list[HpaSample], window: int, poll_seconds: float) -> Check:
    scale_in = next(
        (index for index, s in enumerate(samples) if s.desired_replicas < s.current_replicas),
        None,
    )
    if scale_in is None:
        return Check("scale-in", None, "no scale-in during the run; use the ramp-down shape")

    event = samples[scale_in]
    high = next(
        (s for s in reversed(samples[:scale_in])
         if (r := raw_recommendation(s)) is not None and r > event.desired_replicas),
        None,
    )
    if high is None:
        return Check("scale-in", None, "no higher recommendation seen before the scale-in")

    delay = event.timestamp - high.timestamp
    # Samples are `poll_seconds` apart and the controller acts on its own 15 s clock, so the
    # observed delay can fall short of the window by up to one of each.
    slack = poll_seconds + SYNC_PERIOD_SECONDS
    return Check(
        "scale-in",
        delay >= window - slack,
        f"{event.current_replicas} -> {event.desired_replicas} replicas {delay:.0f} s after "
        f"the last higher recommendation; stabilization window {window} s",
    )


def scaling_intervals(samples: list[HpaSample], poll_seconds: float) -> list[tuple[float, float]]:
    """Return the time ranges in which replicas were changing or pods were not all ready."""
    intervals: list[tuple[float, float]] = []
    for sample in samples:
        changing = sample.desired_replicas != sample.current_replicas
        ready = sample.ready_replicas
        not_ready = ready is not None and ready < sample.current_replicas
        if not (changing or not_ready):
            continue
        begin, end = sample.timestamp - poll_seconds, sample.timestamp + poll_seconds
        if intervals and begin <= intervals[-1][1]:
            intervals[-1] = (intervals[-1][0], end)
        else:
            intervals.append((begin, end))
    return intervals


def _check_failures(
    samples: list[HpaSample],
    history: list[HistoryPoint],
    poll_seconds: float,
    max_failure_ratio: float,
) -> Check:
    intervals = scaling_intervals(samples, poll_seconds)
    requests = 0
    failures = 0
    for before, after in zip(history, history[1:], strict=False):
        if any(begin <= after.timestamp <= end for begin, end in intervals):
            requests += after.requests - before.requests
            failures += after.failures - before.failures
    if requests == 0:
        return Check("failures while scaling", None, "no requests fell in a scaling interval")

    ratio = failures / requests
    return Check(
        "failures while scaling",
        ratio <= max_failure_ratio,
        f"{failures} of {requests} requests failed ({ratio:.2%}; limit {max_failure_ratio:.2%})",
    )
