"""Fixtures that run the order service against a real product service process.

Each test module gets its own databases and its own product and order processes, which
the module's tests share. Tests stay independent by creating their own products and users.
"""

from collections.abc import Iterator

import httpx
import pytest
from devstack.ports import free_port
from devstack.postgres import PostgresServer
from devstack.process import ServiceProcess
from devstack.redis import RedisServer
from order_testkit import Stack, order_env, product_env


@pytest.fixture(scope="module")
def stack(
    request: pytest.FixtureRequest, postgres: PostgresServer, redis_server: RedisServer
) -> Iterator[Stack]:
    name = request.module.__name__.rsplit(".", 1)[-1]
    product_database = f"{name}_product"
    order_database = f"{name}_order"
    product = ServiceProcess(
        "product_service",
        product_env(postgres, redis_server, database=product_database),
        port=free_port(),
        name=f"{name}-product",
    )
    order = ServiceProcess(
        "order_service",
        order_env(postgres, redis_server, database=order_database, product_url=product.url),
        port=free_port(),
        name=f"{name}-order",
    )

    try:
        product.start()
        order.start()
        with httpx.Client(timeout=10.0) as client:
            yield Stack(postgres, product, order, order_database, client)
    finally:
        order.kill()
        product.kill()
