"""Helpers for order service tests: environments, test data and stock bookkeeping."""

import json
import time
import uuid
from dataclasses import dataclass

import httpx
from devstack.postgres import PostgresServer
from devstack.process import ServiceProcess
from devstack.pytest_plugin import next_redis_url, service_env
from devstack.redis import RedisServer

ADMIN_HEADERS = {"X-User-ID": str(uuid.uuid4()), "X-User-Role": "admin"}

# Pools large enough for 200 concurrent orders; the defaults suit a smaller share of a node.
POOL_ENV = {"db_pool_min_size": "2", "db_pool_max_size": "30"}


@dataclass
class Stack:
    postgres: PostgresServer
    product: ServiceProcess
    order: ServiceProcess
    order_database: str
    client: httpx.Client


def product_env(postgres: PostgresServer, redis_server: RedisServer, *, database: str) -> dict:
    return service_env(
        "product",
        database_url=postgres.create_database(database, recreate=True),
        redis_url=next_redis_url(redis_server),
        **POOL_ENV,
    )


def order_env(
    postgres: PostgresServer,
    redis_server: RedisServer,
    *,
    database: str,
    product_url: str,
    **extra: str,
) -> dict:
    """Environment of an order service whose recovery loop stays out of the way by default."""
    settings = {
        "database_url": postgres.create_database(database, recreate=True),
        "redis_url": next_redis_url(redis_server),
        "product_service_url": product_url,
        "product_read_timeout_seconds": "20",
        "product_pool_timeout_seconds": "20",
        "recovery_interval_seconds": "1",
        "recovery_min_age_seconds": "60",
        **POOL_ENV,
    }
    settings.update(extra)
    return service_env("order", **settings)


def create_product(product_url: str, *, stock: int, price_cents: int = 1999) -> int:
    """Create a product through the product service's admin API; return its id."""
    body = {
        "sku": f"TEST-{uuid.uuid4().hex[:12].upper()}",
        "name": "Test product",
        "description": "Created by the order service tests.",
        "category": "test",
        "price_cents": price_cents,
        "stock": stock,
    }
    response = httpx.post(f"{product_url}/products", json=body, headers=ADMIN_HEADERS)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def read_stock(product_url: str, product_id: int) -> int:
    response = httpx.get(f"{product_url}/products/{product_id}")
    assert response.status_code == 200, response.text
    return response.json()["stock"]


def user_headers(user_id: str | None = None, *, key: str | None = None) -> dict[str, str]:
    headers = {"X-User-ID": user_id or str(uuid.uuid4())}
    if key is not None:
        headers["Idempotency-Key"] = key
    return headers


def new_key() -> str:
    return f"key-{uuid.uuid4().hex}"


def order_body(*items: tuple[int, int]) -> dict:
    return {"items": [{"product_id": pid, "quantity": quantity} for pid, quantity in items]}


def confirmed_quantity(postgres: PostgresServer, database: str, product_id: int) -> int:
    """Units of the product held by confirmed or cancelling orders, straight from SQL."""
    output = postgres.psql(
        "SELECT coalesce(sum(i.quantity), 0) FROM order_items i JOIN orders o ON o.id = i.order_id"
        f" WHERE i.product_id = {int(product_id)} AND o.status IN ('confirmed', 'cancelling')",
        database,
    )
    return int(output.strip())


def count_orders(postgres: PostgresServer, database: str, status: str) -> int:
    output = postgres.psql(f"SELECT count(*) FROM orders WHERE status = '{status}'", database)
    return int(output.strip())


def wait_for_order(
    client: httpx.Client, url: str, *, user_id: str, order_id: str, timeout: float = 20.0
) -> dict:
    """Poll the order until it leaves the unsettled states; return it."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(f"{url}/orders/{order_id}", headers=user_headers(user_id))
        order = response.json()
        unsettled = order["status"] in ("pending", "rejecting", "cancelling")
        if not unsettled or time.monotonic() > deadline:
            return order
        time.sleep(0.1)


def wait_for_log(process: ServiceProcess, message: str, timeout: float = 20.0) -> dict:
    """Poll the process's JSON log for a line with this message; return the parsed line."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in process.logs().splitlines():
            if message in line:
                return json.loads(line)
        time.sleep(0.05)
    raise AssertionError(f"no log line {message!r} within {timeout} s:\n{process.logs()[-3000:]}")
