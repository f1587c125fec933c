"""Cache-aside for products and list pages in Redis.

Every write increments a catalog version after its transaction commits. List pages are
keyed by that version, so a page cached before a write is never read after it. A product
is cached under its id and deleted after each write that changes it. Fills are
conditional: a reader stores what it read only if the version is still the one it saw
before reading PostgreSQL, so a slow reader cannot put back a value a writer just replaced.

Redis errors and timeouts count as misses. A failed invalidation can leave a stale entry
until its TTL ends; that is logged.
"""

import hashlib
import logging
import time

import orjson
from prometheus_client import Counter
from redis.asyncio import Redis
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

VERSION_KEY = "product:catalog-version"
_PRODUCT_KEY = "product:item:{}"
_PAGE_KEY = "product:page:{}:{}"

# Sets KEYS[2] only while KEYS[1] (the catalog version) still equals ARGV[1].
_SET_IF_VERSION = """
if (redis.call('GET', KEYS[1]) or '0') == ARGV[1] then
    redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
    return 1
end
return 0
"""

CACHE_LOOKUPS = Counter(
    "product_cache_lookups_total",
    "Cache lookups by kind (product or page) and result (hit, miss or error).",
    ["kind", "result"],
)

_CACHE_ERRORS = (RedisError, OSError, TimeoutError)


class ErrorLog:
    """Logs a repeated error at most once per interval, with the count of repeats skipped."""

    def __init__(self, interval_seconds: float = 10.0) -> None:
        self.interval_seconds = interval_seconds
        self._last = float("-inf")
        self._skipped = 0

    def warning(self, message: str, exc: BaseException) -> None:
        now = time.monotonic()
        if now - self._last < self.interval_seconds:
            self._skipped += 1
            return
        logger.warning(
            message, extra={"error": repr(exc), "repeats_not_logged": self._skipped}
        )
        self._last = now
        self._skipped = 0


class ProductCache:
    def __init__(
        self,
        redis: Redis,
        *,
        product_ttl_seconds: int,
        page_ttl_seconds: int,
        retry_seconds: float,
    ) -> None:
        self.redis = redis
        self.product_ttl_seconds = product_ttl_seconds
        self.page_ttl_seconds = page_ttl_seconds
        self.retry_seconds = retry_seconds
        self._set_if_version = redis.register_script(_SET_IF_VERSION)
        self._errors = ErrorLog()
        self._skip_until = 0.0

    async def read_product(self, product_id: int) -> tuple[bytes | None, str | None]:
        """Return the cached product body (None on a miss) and the catalog version."""
        if self._skipping():
            return None, None
        try:
            body, version = await self.redis.mget(_PRODUCT_KEY.format(product_id), VERSION_KEY)
        except _CACHE_ERRORS as exc:
            self._failed("cache read failed; reading from PostgreSQL", exc)
            CACHE_LOOKUPS.labels("product", "error").inc()
            return None, None

        CACHE_LOOKUPS.labels("product", "hit" if body is not None else "miss").inc()
        return body, _decode_version(version)

    async def store_product(self, product_id: int, body: bytes, version: str | None) -> None:
        await self._store(_PRODUCT_KEY.format(product_id), body, version, self.product_ttl_seconds)

    async def read_page(self, query: dict) -> tuple[bytes | None, str | None]:
        """Return the cached page for the query (None on a miss) and the catalog version."""
        if self._skipping():
            return None, None
        try:
            version = _decode_version(await self.redis.get(VERSION_KEY))
            body = await self.redis.get(_page_key(version, query))
        except _CACHE_ERRORS as exc:
            self._failed("cache read failed; reading from PostgreSQL", exc)
            CACHE_LOOKUPS.labels("page", "error").inc()
            return None, None

        CACHE_LOOKUPS.labels("page", "hit" if body is not None else "miss").inc()
        return body, version

    async def store_page(self, query: dict, body: bytes, version: str | None) -> None:
        if version is not None:
            await self._store(_page_key(version, query), body, version, self.page_ttl_seconds)

    async def invalidate(self, product_ids: list[int]) -> None:
        """Delete the products' entries and retire every cached page; call after commit."""
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                for product_id in product_ids:
                    pipe.delete(_PRODUCT_KEY.format(product_id))
                pipe.incr(VERSION_KEY)
                await pipe.execute()
        except _CACHE_ERRORS as exc:
            # Not rate-limited: each one can leave stale entries until their TTL ends.
            logger.error(
                "cache invalidation failed; entries may be stale until their TTL ends",
                extra={"product_ids": product_ids, "error": repr(exc)},
            )

    async def _store(self, key: str, body: bytes, version: str | None, ttl: int) -> None:
        # Without the version seen before the database read the fill could be stale.
        if version is None or self._skipping():
            return
        try:
            await self._set_if_version(keys=[VERSION_KEY, key], args=[version, body, ttl])
        except _CACHE_ERRORS as exc:
            self._failed("cache fill failed", exc)

    def _skipping(self) -> bool:
        return time.monotonic() < self._skip_until

    def _failed(self, message: str, exc: BaseException) -> None:
        # Skipping Redis for a moment keeps a hanging Redis from adding its timeout to
        # every request. Invalidations are never skipped.
        self._skip_until = time.monotonic() + self.retry_seconds
        self._errors.warning(message, exc)


def _decode_version(raw: bytes | None) -> str:
    return raw.decode() if raw is not None else "0"


def _page_key(version: str, query: dict) -> str:
    digest = hashlib.sha256(orjson.dumps(query, option=orjson.OPT_SORT_KEYS)).hexdigest()
    return _PAGE_KEY.format(version, digest[:32])
