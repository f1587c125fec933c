"""Per-client rate limits in Redis, with the generic cell rate algorithm (GCRA).

GCRA keeps one number per client, the theoretical arrival time (TAT) of its next request.
Each request moves the TAT one emission interval (60 s / rate_limit_per_minute) later, and a
request is rejected when that would put the TAT more than `burst` intervals ahead of now.
So a client that paused may send `burst` requests at once, then `rate_limit_per_minute`
per minute, without the double burst a fixed window allows at its boundary. The whole
read-compare-write runs in one Lua script, so concurrent requests from one client, on any
number of gateway replicas, cannot both take the last slot; Redis's clock is the only one
used, so replicas with skewed clocks agree.

The same script checks whether the caller's user account was deleted: the user service
then writes `revoked-user:<id>` with a TTL of the longest access-token lifetime, and the
script reports it before taking anything from the allowance. So the revocation check
costs no extra round trip, and it fails open or closed with the rate limiter.
"""

import asyncio
import logging
import math
import time
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import NoScriptError, RedisError
from servicekit.errors import RateLimitedError, ServiceUnavailableError
from servicekit.identity import revoked_user_key

logger = logging.getLogger(__name__)

# KEYS[1]: the client's key; KEYS[2], when given: the user's revocation key. ARGV[1]:
# emission interval in microseconds. ARGV[2]: burst.
# Returns {allowed, remaining, retry_after_us, reset_us}; allowed is -1 for a revoked user.
# NOTE: both keys must live in one Redis database; on Redis Cluster they would need a
# common hash tag.
_GCRA_SCRIPT = """
if KEYS[2] and redis.call('EXISTS', KEYS[2]) == 1 then
  return {-1, 0, 0, 0}
end
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + interval
local capacity = burst * interval
local ahead = new_tat - now
if ahead > capacity then
  return {0, 0, ahead - capacity, tat - now}
end
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', math.ceil(ahead / 1000))
return {1, math.floor((capacity - ahead) / interval), 0, ahead}
"""

# While Redis fails, skip it for this long, so each request does not wait for a timeout.
_SKIP_REDIS_SECONDS = 1.0
# At most one "rate limiter unavailable" warning per this many seconds.
_WARNING_INTERVAL_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome for one request: RateLimit response headers, or a revoked user."""

    allowed: bool
    headers: tuple[tuple[bytes, bytes], ...]
    revoked: bool = False


class RateLimiter:
    def __init__(self, redis: Redis, *, per_minute: int, burst: int, fail_open: bool) -> None:
        self._redis = redis
        self._script = redis.register_script(_GCRA_SCRIPT)
        self._pending: list[tuple[tuple[str, ...], asyncio.Future]] = []
        self._flushes: set[asyncio.Task] = set()
        self._interval_us = round(60_000_000 / per_minute)
        self._burst = burst
        self._limit_header = (b"ratelimit-limit", str(burst).encode())
        self._fail_open = fail_open
        self._skip_until = 0.0
        self._last_warning = 0.0
        self._failures_since_warning = 0

    async def check(self, client: str, *, user_id: str | None = None) -> Decision | None:
        """Take one request from the client's allowance; raise RateLimitedError when none is left.

        With a user id, a deleted user's request returns a Decision with `revoked` set and
        takes nothing. Returns None when Redis is unreachable and the limiter fails open.
        """
        if self._skip_until and time.monotonic() < self._skip_until:
            return self._unavailable(None)

        keys = (f"ratelimit:{client}",)
        if user_id is not None:
            keys += (revoked_user_key(user_id),)
        try:
            allowed, remaining, retry_after_us, reset_us = await self._evaluate(keys)
        except (RedisError, OSError) as exc:
            self._skip_until = time.monotonic() + _SKIP_REDIS_SECONDS
            return self._unavailable(exc)

        self._skip_until = 0.0
        if allowed == -1:
            return _REVOKED
        headers = (
            self._limit_header,
            (b"ratelimit-remaining", str(remaining).encode()),
            (b"ratelimit-reset", str(math.ceil(reset_us / 1_000_000)).encode()),
        )
        if not allowed:
            raise _rate_limited(retry_after_us, headers)
        return Decision(True, headers)

    async def _evaluate(self, keys: tuple[str, ...]) -> list[int]:
        """Run the script for one key, batched with the others queued in the same loop pass.

        Under load many requests wait for their check at once, so one pipeline for all of
        them costs one Redis round trip and one socket write instead of one each.
        """
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._pending.append((keys, future))
        if len(self._pending) == 1:
            loop.call_soon(self._flush)
        return await future

    def _flush(self) -> None:
        batch, self._pending = self._pending, []
        task = asyncio.ensure_future(self._run_batch(batch))
        self._flushes.add(task)
        task.add_done_callback(self._flushes.discard)

    async def _run_batch(self, batch: list[tuple[tuple[str, ...], asyncio.Future]]) -> None:
        try:
            results = await self._execute([keys for keys, _ in batch])
        except (RedisError, OSError) as exc:
            results = [exc] * len(batch)

        for (_, future), result in zip(batch, results, strict=True):
            if future.done():
                continue
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)

    async def _execute(self, keys: list[tuple[str, ...]]) -> list:
        results = await self._pipeline(keys)
        if any(isinstance(result, NoScriptError) for result in results):
            # Redis restarted or was flushed since the script was loaded.
            await self._redis.script_load(_GCRA_SCRIPT)
            results = await self._pipeline(keys)
        return results

    async def _pipeline(self, keys: list[tuple[str, ...]]) -> list:
        async with self._redis.pipeline(transaction=False) as pipe:
            for request_keys in keys:
                pipe.evalsha(
                    self._script.sha,
                    len(request_keys),
                    *request_keys,
                    self._interval_us,
                    self._burst,
                )
            return await pipe.execute(raise_on_error=False)

    def _unavailable(self, exc: Exception | None) -> None:
        # Failing open keeps the shop up when Redis is down, at the price of no limits
        # meanwhile. RATE_LIMIT_FAIL_OPEN=false makes the opposite trade.
        self._warn(exc)
        if not self._fail_open:
            raise ServiceUnavailableError(
                "Rate limiting is unavailable because Redis cannot be reached. Try again shortly.",
                code="rate_limiter_unavailable",
                headers={"Retry-After": "1"},
            )
        return None

    def _warn(self, exc: Exception | None) -> None:
        self._failures_since_warning += 1
        now = time.monotonic()
        if now - self._last_warning < _WARNING_INTERVAL_SECONDS:
            return
        logger.warning(
            "rate limiter cannot reach redis, so it is %s requests",
            "allowing" if self._fail_open else "rejecting",
            extra={
                "error": type(exc).__name__ if exc else "skipped after a recent failure",
                "requests_affected": self._failures_since_warning,
            },
        )
        self._last_warning = now
        self._failures_since_warning = 0


_REVOKED = Decision(False, (), revoked=True)


def _rate_limited(retry_after_us: int, headers: tuple) -> RateLimitedError:
    retry_after = max(1, math.ceil(retry_after_us / 1_000_000))
    all_headers = {name.decode(): value.decode() for name, value in headers}
    all_headers["Retry-After"] = str(retry_after)
    return RateLimitedError(
        f"Too many requests. Retry after {retry_after} s.",
        details={"retry_after_seconds": retry_after},
        headers=all_headers,
    )
