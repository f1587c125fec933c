"""Command line: seed, migrate, serve restarts, and configuration errors."""

import os
import subprocess
import sys

import pytest
from product_testing import database_name, product_env


def run_command(env: dict[str, str], *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "product_service", *arguments],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def fresh_env(postgres, redis_url, request) -> dict[str, str]:
    database_url = postgres.create_database(f"product_cmd_{request.node.name}"[:60], recreate=True)
    return product_env(database_url, redis_url)


def count_rows(postgres, env, sql: str) -> int:
    return int(postgres.psql(sql, database_name(env["DATABASE_URL"])).strip())


def test_seed_inserts_catalog_once(postgres, fresh_env):
    first = run_command(fresh_env, "seed", "--count", "300")
    second = run_command(fresh_env, "seed", "--count", "300")

    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert '"inserted":300' in first.stdout
    assert '"inserted":0' in second.stdout
    assert count_rows(postgres, fresh_env, "SELECT count(*) FROM products") == 300


def test_seed_is_deterministic(postgres, fresh_env):
    run_command(fresh_env, "seed", "--count", "20")
    sql = (
        "SELECT md5(string_agg(sku || name || price_cents || stock, ',' ORDER BY sku))"
        " FROM products"
    )
    first = postgres.psql(sql, database_name(fresh_env["DATABASE_URL"]))
    postgres.psql("TRUNCATE products CASCADE", database_name(fresh_env["DATABASE_URL"]))

    run_command(fresh_env, "seed", "--count", "20")

    assert postgres.psql(sql, database_name(fresh_env["DATABASE_URL"])) == first


def test_seed_spreads_over_categories(postgres, fresh_env):
    run_command(fresh_env, "seed", "--count", "100")

    categories = count_rows(postgres, fresh_env, "SELECT count(DISTINCT category) FROM products")

    assert categories == 8


def test_migrate_twice_applies_once(postgres, fresh_env):
    first = run_command(fresh_env, "migrate")
    second = run_command(fresh_env, "migrate")

    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert count_rows(postgres, fresh_env, "SELECT count(*) FROM schema_migrations") == 1


def test_serve_starts_twice_on_same_database(postgres, fresh_env, start_service):
    first = start_service("product_service", fresh_env)
    first_exit = first.stop()

    second = start_service("product_service", fresh_env)

    assert first_exit == 0
    assert second.running()
    assert second.stop() == 0
    assert count_rows(postgres, fresh_env, "SELECT count(*) FROM schema_migrations") == 1


def test_missing_database_url_exits_naming_it(fresh_env):
    env = {key: value for key, value in fresh_env.items() if key != "DATABASE_URL"}
    environment = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}

    result = subprocess.run(
        [sys.executable, "-m", "product_service", "migrate"],
        env={**environment, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 2
    assert "DATABASE_URL" in result.stderr
