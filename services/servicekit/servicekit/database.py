"""The asyncpg pool and a small migration runner.

Migrations are ordered SQL files applied once each, recorded in schema_migrations, under
a PostgreSQL advisory lock so that replicas starting together do not race.
"""

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from importlib import resources
from importlib.resources.abc import Traversable

import asyncpg

from servicekit.errors import ServiceUnavailableError
from servicekit.settings import DatabaseSettings

logger = logging.getLogger(__name__)

# Any constant works; it only has to be the same for every replica of every service.
_MIGRATION_LOCK_ID = 0x5E0B_0001


# Failures that mean the database cannot be reached now, as opposed to a wrong query.
UNAVAILABLE_ERRORS = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
)


@contextlib.contextmanager
def database_errors(database: str) -> Iterator[None]:
    """Re-raise connection failures and timeouts as a 503 `database_unavailable` error."""
    try:
        yield
    except UNAVAILABLE_ERRORS as exc:
        raise ServiceUnavailableError(
            f"The {database} database is unavailable; retry later.", code="database_unavailable"
        ) from exc


async def create_pool(settings: DatabaseSettings) -> asyncpg.Pool:
    """Open the pool; the minimum size is connected now, so a wrong URL fails at start."""
    pool = await asyncpg.create_pool(
        str(settings.database_url),
        min_size=settings.db_pool_min_size,
        max_size=settings.db_pool_max_size,
        command_timeout=settings.db_command_timeout_seconds,
        timeout=settings.db_connect_timeout_seconds,
    )
    logger.info(
        "database pool opened",
        extra={"min_size": settings.db_pool_min_size, "max_size": settings.db_pool_max_size},
    )
    return pool


async def close_pool(pool: asyncpg.Pool, timeout_seconds: float = 5.0) -> None:
    try:
        await asyncio.wait_for(pool.close(), timeout_seconds)
    except TimeoutError:
        logger.warning("database pool did not close in time; terminating connections")
        pool.terminate()
    logger.info("database pool closed")


def migration_files(package: str) -> list[Traversable]:
    """Return the package's migrations/NNNN_name.sql files in version order."""
    folder = resources.files(package).joinpath("migrations")
    files = [item for item in folder.iterdir() if item.name.endswith(".sql")]
    return sorted(files, key=lambda item: item.name)


async def apply_migrations(dsn: str, package: str) -> list[str]:
    """Apply the package's migrations not yet recorded; return the names applied."""
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK_ID)
        try:
            return await _apply_pending(connection, migration_files(package))
        finally:
            await connection.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK_ID)
    finally:
        await connection.close()


async def _apply_pending(connection: asyncpg.Connection, files: list[Traversable]) -> list[str]:
    await connection.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version text PRIMARY KEY,"
        " applied_at timestamptz NOT NULL DEFAULT now())"
    )
    rows = await connection.fetch("SELECT version FROM schema_migrations")
    done = {row["version"] for row in rows}

    applied = []
    for item in files:
        if item.name in done:
            continue
        async with connection.transaction():
            await connection.execute(item.read_text())
            await connection.execute(
                "INSERT INTO schema_migrations (version) VALUES ($1)", item.name
            )
        logger.info("migration applied", extra={"migration": item.name})
        applied.append(item.name)
    return applied
