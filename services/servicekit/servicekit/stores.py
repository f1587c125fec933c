"""Open and close a service's PostgreSQL pool and Redis client as one lifespan step."""

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator

import asyncpg
from fastapi import FastAPI

from servicekit.cache import close_redis, create_redis
from servicekit.database import apply_migrations, close_pool, create_pool
from servicekit.health import ReadinessCheck
from servicekit.metrics import register_pool_collector
from servicekit.settings import DatabaseSettings

logger = logging.getLogger(__name__)

_current_pool: list[asyncpg.Pool] = []
_CONNECT_ERRORS = (OSError, asyncpg.CannotConnectNowError, asyncpg.TooManyConnectionsError)


def _pool_for_metrics() -> asyncpg.Pool | None:
    return _current_pool[0] if _current_pool else None


_collector = register_pool_collector(_pool_for_metrics)


@contextlib.asynccontextmanager
async def open_stores(
    app: FastAPI, settings: DatabaseSettings, *, migrations_package: str, wait_seconds: float
) -> AsyncIterator[dict[str, ReadinessCheck]]:
    """Migrate, then open app.state.pool and app.state.redis; yield readiness checks."""
    await migrate_when_reachable(str(settings.database_url), migrations_package, wait_seconds)
    pool = await create_pool(settings)
    redis = create_redis(settings)
    app.state.pool = pool
    app.state.redis = redis
    _current_pool[:] = [pool]

    async def check_postgres() -> None:
        await pool.fetchval("SELECT 1")

    async def check_redis() -> None:
        await redis.ping()

    try:
        yield {"postgres": check_postgres, "redis": check_redis}
    finally:
        _current_pool.clear()
        await close_redis(redis)
        await close_pool(pool)


async def migrate_when_reachable(dsn: str, package: str, wait_seconds: float) -> None:
    """Apply migrations, retrying while PostgreSQL is not reachable for up to wait_seconds.

    Pods often start before their database; retrying here beats a crash loop.
    """
    deadline = time.monotonic() + wait_seconds
    delay = 0.2
    while True:
        try:
            await apply_migrations(dsn, package)
            return
        except _CONNECT_ERRORS as exc:
            if time.monotonic() + delay > deadline:
                raise
            logger.warning(
                "database not reachable; retrying",
                extra={"error": type(exc).__name__, "retry_in_seconds": delay},
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)
