"""The order service's command line: `python -m order_service migrate`."""

import os
import subprocess
import sys

from devstack.postgres import PostgresServer
from devstack.pytest_plugin import service_env


def run_migrate(dsn: str) -> subprocess.CompletedProcess:
    # No PRODUCT_SERVICE_URL: migrating needs the database only.
    env = {**os.environ, **service_env("order", database_url=dsn, redis_url="redis://127.0.0.1/0")}
    env.pop("PRODUCT_SERVICE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "order_service", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_migrate_creates_tables(postgres: PostgresServer) -> None:
    dsn = postgres.create_database("order_commands", recreate=True)

    result = run_migrate(dsn)

    assert result.returncode == 0, result.stdout + result.stderr
    tables = postgres.psql(
        "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables"
        " WHERE tablename LIKE 'order%'",
        "order_commands",
    )
    assert tables.strip() == "order_items,orders"


def test_migrate_twice_is_harmless(postgres: PostgresServer) -> None:
    dsn = postgres.create_database("order_commands_twice", recreate=True)
    run_migrate(dsn)

    result = run_migrate(dsn)

    assert result.returncode == 0, result.stdout + result.stderr
