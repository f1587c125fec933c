"""A circuit breaker per upstream service, so a failing service costs callers no waiting.

Closed: requests pass, and each failure (refused or broken connection, timeout, 5xx)
extends a streak of consecutive failures that a success ends. When the streak reaches
`failure_threshold` within `window_seconds`, the breaker opens. Open: requests fail at
once with 503 `upstream_unavailable` (`details.code` = `circuit_open`), without a call.
After `reset_seconds` the breaker is half-open and lets one probe request through: a
success closes it, a failure opens it for another `reset_seconds`.
"""

import enum
import logging
import time

from prometheus_client import Counter, Gauge
from servicekit.errors import ServiceUnavailableError

logger = logging.getLogger(__name__)


class CircuitState(enum.IntEnum):
    """Breaker states; the values are what the state gauge reports."""

    CLOSED = 0
    HALF_OPEN = 1
    OPEN = 2


CIRCUIT_STATE = Gauge(
    "gateway_circuit_state",
    "Circuit breaker state per upstream service: 0 closed, 1 half-open, 2 open.",
    ["service"],
)
SHORT_CIRCUITED = Counter(
    "gateway_circuit_short_circuited_total",
    "Requests failed fast with 503 by an open circuit breaker, without calling the service.",
    ["service"],
)
CIRCUIT_OPENED = Counter(
    "gateway_circuit_opened_total",
    "Times a circuit breaker opened, per upstream service.",
    ["service"],
)


class CircuitBreaker:
    def __init__(
        self,
        service: str,
        *,
        failure_threshold: int,
        window_seconds: float,
        reset_seconds: float,
    ) -> None:
        self.service = service
        self.failure_threshold = failure_threshold
        self.window_seconds = window_seconds
        self.reset_seconds = reset_seconds
        self.state = CircuitState.CLOSED
        self._failures = 0
        self._streak_started = 0.0
        self._opened_at = 0.0
        self._probe_in_flight = False
        self._gauge = CIRCUIT_STATE.labels(service)
        self._short_circuited = SHORT_CIRCUITED.labels(service)
        self._gauge.set(CircuitState.CLOSED)

    def before_call(self) -> None:
        """Raise the fast 503 when the breaker is open; let a probe through once half-open."""
        if self.state is CircuitState.CLOSED:
            return

        if self.state is CircuitState.OPEN:
            if time.monotonic() - self._opened_at < self.reset_seconds:
                self._reject()
            self._move_to(CircuitState.HALF_OPEN)

        # Half-open: exactly one request probes the service; the others still fail fast.
        if self._probe_in_flight:
            self._reject()
        self._probe_in_flight = True

    def record_success(self) -> None:
        self._probe_in_flight = False
        self._failures = 0
        if self.state is not CircuitState.CLOSED:
            self._move_to(CircuitState.CLOSED)

    def record_failure(self) -> None:
        self._probe_in_flight = False
        now = time.monotonic()
        if self.state is CircuitState.HALF_OPEN:
            self._open(now)
            return

        if self._failures == 0 or now - self._streak_started > self.window_seconds:
            self._failures = 0
            self._streak_started = now
        self._failures += 1
        if self.state is CircuitState.CLOSED and self._failures >= self.failure_threshold:
            self._open(now)

    def release_probe(self) -> None:
        """Free the half-open slot when a probe ends with neither outcome (a 4xx, a cancel)."""
        self._probe_in_flight = False

    def _open(self, now: float) -> None:
        self._opened_at = now
        self._failures = 0
        self._move_to(CircuitState.OPEN)
        CIRCUIT_OPENED.labels(self.service).inc()

    def _move_to(self, state: CircuitState) -> None:
        logger.warning(
            "circuit breaker %s",
            state.name.lower().replace("_", "-"),
            extra={"upstream": self.service, "previous": self.state.name.lower()},
        )
        self.state = state
        self._gauge.set(state)

    def _reject(self) -> None:
        self._short_circuited.inc()
        raise ServiceUnavailableError(
            f"The {self.service} service is unavailable; try again shortly.",
            code="upstream_unavailable",
            details={"service": self.service, "code": "circuit_open"},
            headers={"Retry-After": str(max(1, round(self.reset_seconds)))},
        )
