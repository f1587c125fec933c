"""Test data helpers shared by the user service's test modules."""

import uuid

from devstack.pytest_plugin import TEST_JWT_SECRET, service_env

# Distinctive, so a test can search logs and bodies for it.
PASSWORD = "Correct-Horse-7731-battery"


def user_env(database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    settings = {"database_url": database_url, "redis_url": redis_url, "jwt_secret": TEST_JWT_SECRET}
    return service_env("user", **{**settings, **extra})


def unique_email(domain: str = "example.com") -> str:
    return f"user-{uuid.uuid4().hex[:10]}@{domain}"


def error_fields(response) -> set[str]:
    return {item["field"] for item in response.json()["error"]["details"]}
