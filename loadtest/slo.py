"""The service level objective a load test must meet, checked when Locust quits.

The defaults are a starting point for this shop on a laptop-sized cluster:
- failure ratio 1%: the locustfile counts expected outcomes (409 insufficient_stock on an
  order) as successes, so any failure is a 5xx, a timeout or a refused connection. More
  than 1 in 100 means users see errors.
- p95 500 ms: a shopper's page makes one to three API calls one after another, so 19 of
  20 pages stay under about 1.5 s of API time.
"""

from dataclasses import dataclass

DEFAULT_MAX_FAILURE_RATIO = 0.01
DEFAULT_MAX_P95_MS = 500.0


@dataclass(frozen=True)
class SloThresholds:
    max_failure_ratio: float = DEFAULT_MAX_FAILURE_RATIO
    max_p95_ms: float = DEFAULT_MAX_P95_MS


def violations(
    requests: int, failures: int, p95_ms: float | None, thresholds: SloThresholds
) -> list[str]:
    """Return one message per objective missed; an empty list means the run passed."""
    if requests == 0:
        return ["no requests were made, so nothing was measured"]

    found = []
    ratio = failures / requests
    if ratio > thresholds.max_failure_ratio:
        found.append(
            f"failure ratio {ratio:.2%} ({failures} of {requests}) is above "
            f"{thresholds.max_failure_ratio:.2%}"
        )
    if p95_ms is not None and p95_ms > thresholds.max_p95_ms:
        found.append(f"p95 {p95_ms:.0f} ms is above {thresholds.max_p95_ms:.0f} ms")
    return found
