"""Fixtures: one product service process per test module, on its own database and Redis db."""

from collections.abc import Callable, Iterator

import httpx
import pytest
from devstack.ports import free_port
from devstack.process import ServiceProcess
from devstack.pytest_plugin import next_redis_url
from product_testing import ADMIN_HEADERS, product_env, unique


@pytest.fixture(scope="module")
def database_url(postgres, request) -> str:
    name = f"product_{request.module.__name__.rsplit('.', 1)[-1]}"
    return postgres.create_database(name, recreate=True)


@pytest.fixture(scope="module")
def redis_url(redis_server) -> str:
    return next_redis_url(redis_server)


@pytest.fixture(scope="module")
def product_service(database_url, redis_url) -> Iterator[ServiceProcess]:
    process = ServiceProcess(
        "product_service",
        product_env(database_url, redis_url),
        port=free_port(),
        name="product",
    )
    process.start()
    yield process
    process.kill()


@pytest.fixture
def client(product_service) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=product_service.url, timeout=10.0) as http:
        yield http


@pytest.fixture
def create_product(client) -> Callable[..., dict]:
    """Factory: create a product through the API; keyword arguments override the defaults."""

    def create(**overrides) -> dict:
        body = {
            "sku": unique("SKU"),
            "name": "Test Lamp",
            "description": "A lamp for tests.",
            "category": "test",
            "price_cents": 1999,
            "stock": 10,
            **overrides,
        }
        response = client.post("/products", json=body, headers=ADMIN_HEADERS)
        assert response.status_code == 201, response.text
        return response.json()

    return create
