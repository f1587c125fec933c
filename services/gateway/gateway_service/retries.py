"""Retry policy for upstream calls: which failures to retry, a retry budget and backoff.

The budget caps retries at a fraction of the requests over a sliding window, plus a small
floor so that a quiet gateway can still retry. During an outage every request fails, so
unbudgeted retries would multiply the load on a service that is trying to recover. With a
0.2 ratio they add at most 20%.
"""

import collections
import random
import time

from prometheus_client import Counter

RETRIES = Counter(
    "gateway_upstream_retries_total",
    "Upstream requests sent again after a connection failure, per service.",
    ["service"],
)
RETRY_BUDGET_EXHAUSTED = Counter(
    "gateway_retry_budget_exhausted_total",
    "Retries skipped because the service's retry budget was spent.",
    ["service"],
)

# The window is kept as this many buckets, so old requests leave it a bucket at a time.
_BUCKETS = 10


class RetryBudget:
    """Counts requests and retries over a sliding window and allows retries within a ratio."""

    def __init__(self, *, ratio: float, window_seconds: float, min_retries: int) -> None:
        self.ratio = ratio
        self.min_retries = min_retries
        self._bucket_seconds = window_seconds / _BUCKETS
        # Each bucket is [bucket number, requests, retries].
        self._buckets: collections.deque[list[int]] = collections.deque()

    def record_request(self) -> None:
        self._current()[1] += 1

    def try_spend(self) -> bool:
        """Take one retry from the budget; return False when none is left."""
        bucket = self._current()
        requests = sum(entry[1] for entry in self._buckets)
        retries = sum(entry[2] for entry in self._buckets)
        if retries >= self.min_retries + self.ratio * requests:
            return False
        bucket[2] += 1
        return True

    def _current(self) -> list[int]:
        number = int(time.monotonic() / self._bucket_seconds)
        while self._buckets and self._buckets[0][0] <= number - _BUCKETS:
            self._buckets.popleft()
        if not self._buckets or self._buckets[-1][0] != number:
            self._buckets.append([number, 0, 0])
        return self._buckets[-1]


def backoff_seconds(attempt: int, *, base: float, maximum: float) -> float:
    """Return a full-jitter exponential delay before retry number `attempt` (1 for the first).

    Full jitter (a uniform draw up to the exponential cap) spreads retries from many
    requests that failed together, so they do not arrive at the service in one wave.
    """
    cap = min(maximum, base * 2 ** (attempt - 1))
    return random.uniform(0, cap)
