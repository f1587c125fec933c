"""Test data helpers shared by the product service's test modules."""

import uuid

from devstack.pytest_plugin import service_env

ADMIN_HEADERS = {"X-User-ID": str(uuid.uuid4()), "X-User-Role": "admin"}
CUSTOMER_HEADERS = {"X-User-ID": str(uuid.uuid4()), "X-User-Role": "customer"}


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def error_fields(response) -> set[str]:
    return {item["field"] for item in response.json()["error"]["details"]}


def database_name(database_url: str) -> str:
    return database_url.rsplit("/", 1)[-1]


def product_env(database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    return service_env("product", database_url=database_url, redis_url=redis_url, **extra)
