"""Command line: create-admin, migrate, configuration errors, and rehash after a change."""

import os
import subprocess
import sys

import httpx
import jwt
import pytest
from devstack.pytest_plugin import TEST_JWT_SECRET
from user_testing import PASSWORD, unique_email, user_env


def run_command(env: dict[str, str], *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "user_service", *arguments],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def create_admin(env: dict[str, str], email: str, password: str = PASSWORD):
    return run_command(
        {**env, "ADMIN_PASSWORD": password},
        "create-admin", "--email", email, "--name", "Admin", "--password-env", "ADMIN_PASSWORD",
    )


def role_in_token(client: httpx.Client, email: str, password: str = PASSWORD) -> str:
    response = client.post("/auth/token", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    return jwt.decode(token, TEST_JWT_SECRET, algorithms=["HS256"], audience="shop")["role"]


def test_create_admin_creates_admin(client, database_url, redis_url):
    email = unique_email()

    result = create_admin(user_env(database_url, redis_url), email)

    assert result.returncode == 0, result.stderr
    assert "admin created" in result.stdout
    assert PASSWORD not in result.stdout + result.stderr
    assert role_in_token(client, email) == "admin"


def test_create_admin_promotes_existing_user(client, database_url, redis_url):
    email = unique_email()
    client.post("/users", json={"email": email, "password": PASSWORD, "name": "Customer"})

    result = create_admin(user_env(database_url, redis_url), email.upper(), "Another-pass-99")

    assert result.returncode == 0, result.stderr
    assert "promoted" in result.stdout
    assert role_in_token(client, email) == "admin"


def test_create_admin_twice_succeeds(client, database_url, redis_url):
    email = unique_email()
    env = user_env(database_url, redis_url)

    first = create_admin(env, email)
    second = create_admin(env, email)

    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert role_in_token(client, email) == "admin"


def test_create_admin_missing_password_variable(database_url, redis_url):
    result = run_command(
        user_env(database_url, redis_url),
        "create-admin", "--email", unique_email(), "--name", "A", "--password-env", "NO_SUCH_VAR",
    )

    assert result.returncode != 0
    assert "NO_SUCH_VAR" in result.stderr


def test_create_admin_rejects_short_password(database_url, redis_url):
    result = create_admin(user_env(database_url, redis_url), unique_email(), "short")

    assert result.returncode != 0
    assert "password" in result.stderr
    assert "short" not in result.stderr.replace("should have at least", "")


def test_migrate_twice_applies_once(postgres, redis_url):
    database_url = postgres.create_database("user_migrate_twice", recreate=True)
    env = user_env(database_url, redis_url)

    first = run_command(env, "migrate")
    second = run_command(env, "migrate")

    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert postgres.psql("SELECT count(*) FROM schema_migrations", "user_migrate_twice") == "1\n"


def serve_exit(env: dict[str, str]) -> subprocess.CompletedProcess:
    """Start the server expecting it to exit at once because its settings are invalid."""
    environment = {key: value for key, value in os.environ.items() if key != "JWT_SECRET"}
    return subprocess.run(
        [sys.executable, "-m", "user_service"],
        env={**environment, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_serve_without_jwt_secret_exits(database_url, redis_url):
    env = user_env(database_url, redis_url)
    env.pop("JWT_SECRET")

    result = serve_exit(env)

    assert result.returncode != 0
    assert "JWT_SECRET" in result.stderr


@pytest.mark.parametrize("secret", ["too-short-secret", "changeme-" + "x" * 40])
def test_serve_with_weak_jwt_secret_exits(database_url, redis_url, secret):
    result = serve_exit(user_env(database_url, redis_url, jwt_secret=secret))

    assert result.returncode != 0
    assert "JWT_SECRET" in result.stderr
    assert secret not in result.stderr


def test_login_rehashes_after_parameter_change(postgres, redis_url, start_service):
    database_url = postgres.create_database("user_rehash", recreate=True)
    email = unique_email()
    old = start_service("user_service", user_env(database_url, redis_url, argon2_time_cost="1"))
    httpx.post(f"{old.url}/users", json={"email": email, "password": PASSWORD, "name": "R"})
    old.stop()
    hash_sql = f"SELECT password_hash FROM users WHERE email = '{email}'"
    old_hash = postgres.psql(hash_sql, "user_rehash")

    new = start_service("user_service", user_env(database_url, redis_url, argon2_time_cost="2"))
    response = httpx.post(f"{new.url}/auth/token", json={"email": email, "password": PASSWORD})
    new_hash = postgres.psql(hash_sql, "user_rehash")

    assert response.status_code == 200
    assert "t=1" in old_hash
    assert "t=2" in new_hash
