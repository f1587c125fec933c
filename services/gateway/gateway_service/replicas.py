"""One upstream service as the proxy uses it: its replicas, retry policy and circuit breaker.

Requests go to the replicas in turn. A failed attempt is retried, on the next replica,
only when that cannot repeat an action the client did not ask twice for:
- the connection was refused or not established in time: the service saw nothing, so any
  request may be retried;
- the connection closed or reset before the response: only idempotent requests (GET,
  HEAD, and POST /orders with an Idempotency-Key, which the order service replays);
- a timeout waiting for the response, or a 5xx: never, because the service may still be
  acting, and the client has already waited the whole timeout.
Every retry must fit before the request's deadline (UPSTREAM_TIMEOUT_SECONDS from the
first attempt) and take a token from the retry budget.

A replica that refused a connection is skipped for `replica_skip_seconds` (unless every
replica is skipped), so that while a pod is replaced, requests stop going to it first
and spending the retry budget.
"""

import asyncio
import itertools
import logging
import time
from dataclasses import dataclass

import aiohttp
from yarl import URL

from gateway_service.breaker import CircuitBreaker
from gateway_service.retries import RETRIES, RETRY_BUDGET_EXHAUSTED, RetryBudget, backoff_seconds
from gateway_service.upstream import FailureKind, UpstreamCallError, UpstreamResponse, send_once

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int
    backoff_base_seconds: float
    backoff_max_seconds: float
    connect_timeout_seconds: float
    total_timeout_seconds: float
    replica_skip_seconds: float


class ServiceUpstream:
    def __init__(
        self,
        service: str,
        bases: tuple[str, ...],
        *,
        breaker: CircuitBreaker,
        budget: RetryBudget,
        policy: RetryPolicy,
    ) -> None:
        self.service = service
        self.bases = bases
        self.breaker = breaker
        self.budget = budget
        self.policy = policy
        self._turns = itertools.count()
        self._skip_until = [0.0] * len(bases)

    def next_base(self) -> str:
        """Return the next replica's base URL, in turn."""
        return self.bases[self._next_index()]

    def _next_index(self, after: int | None = None) -> int:
        """Return the next replica in turn (or after `after`) that is not being skipped."""
        count = len(self.bases)
        start = next(self._turns) if after is None else after + 1
        now = time.monotonic()
        for step in range(count):
            index = (start + step) % count
            if self._skip_until[index] <= now:
                return index
        return start % count

    def _skip(self, index: int) -> None:
        if len(self.bases) > 1:
            self._skip_until[index] = time.monotonic() + self.policy.replica_skip_seconds

    async def send(
        self,
        session: aiohttp.ClientSession,
        method: str,
        target: str,
        *,
        headers: list[tuple[str, str]],
        body: bytes | None,
        idempotent: bool,
    ) -> UpstreamResponse:
        """Send a request to a replica, retrying by the rules above; raise the client's error.

        `target` is the path and query, already percent-encoded.
        """
        self.breaker.before_call()
        self.budget.record_request()
        try:
            response = await self._send_with_retries(
                session, method, target, headers=headers, body=body, idempotent=idempotent
            )
        except UpstreamCallError as exc:
            self.breaker.record_failure()
            raise exc.error from exc.__cause__
        except BaseException:
            # A cancelled request (the client went away) shows nothing about the service health.
            self.breaker.release_probe()
            raise

        if response.status >= 500:
            self.breaker.record_failure()
        else:
            self.breaker.record_success()
        return response

    async def _send_with_retries(
        self, session, method, target, *, headers, body, idempotent
    ) -> UpstreamResponse:
        deadline = time.monotonic() + self.policy.total_timeout_seconds
        index = self._next_index()
        timeout = None
        attempt = 0
        while True:
            base = self.bases[index]
            # encoded=True passes the client's percent-encoding through as it is, and skips
            # yarl's requoting on this hot path.
            url = URL(base + target, encoded=True)
            try:
                return await send_once(
                    session,
                    self.service,
                    method,
                    url,
                    headers=headers,
                    body=body,
                    client_timeout=timeout,
                )
            except UpstreamCallError as exc:
                if exc.kind is FailureKind.CONNECT:
                    self._skip(index)
                attempt += 1
                delay = self._retry_delay(exc, attempt, idempotent, deadline)
                if delay is None:
                    raise
                self._log_retry(method, exc, attempt, delay)

            await asyncio.sleep(delay)
            index = self._next_index(after=index)
            remaining = max(deadline - time.monotonic(), 0.001)
            timeout = aiohttp.ClientTimeout(
                total=remaining,
                sock_connect=min(self.policy.connect_timeout_seconds, remaining),
            )

    def _retry_delay(
        self, exc: UpstreamCallError, retry: int, idempotent: bool, deadline: float
    ) -> float | None:
        """Return the pause before retry number `retry`, or None when it must not happen."""
        if retry > self.policy.max_retries:
            return None
        retryable = exc.kind is FailureKind.CONNECT or (
            exc.kind is FailureKind.CLOSED and idempotent
        )
        if not retryable:
            return None

        delay = backoff_seconds(
            retry, base=self.policy.backoff_base_seconds, maximum=self.policy.backoff_max_seconds
        )
        if time.monotonic() + delay >= deadline:
            return None
        if not self.budget.try_spend():
            RETRY_BUDGET_EXHAUSTED.labels(self.service).inc()
            return None
        return delay

    def _log_retry(self, method: str, exc: UpstreamCallError, retry: int, delay: float) -> None:
        RETRIES.labels(self.service).inc()
        logger.info(
            "retrying upstream request",
            extra={
                "upstream": self.service,
                "method": method,
                "failure": exc.kind.value,
                "retry": retry,
                "delay_ms": round(delay * 1000, 1),
            },
        )
