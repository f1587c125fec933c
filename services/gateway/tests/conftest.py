"""Fixtures: gateways in front of real user, product and order service processes.

The services start once per session, each on its own database, because the journey,
spoofing and upstream tests all need them and starting them costs seconds.
"""

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from devstack.ports import free_port
from devstack.process import ServiceProcess
from devstack.pytest_plugin import TEST_JWT_SECRET, next_redis_url, service_env
from gateway_testing import gateway_env, product_env


@dataclass
class Backend:
    user: ServiceProcess
    product: ServiceProcess
    order: ServiceProcess


def _start(module: str, name: str, env: dict[str, str]) -> ServiceProcess:
    process = ServiceProcess(module, env, port=free_port(), name=name)
    try:
        process.start()
    except Exception:
        process.kill()
        raise
    return process


@pytest.fixture(scope="session")
def gateway_redis_url(redis_server) -> str:
    """The session gateway's Redis database, where the user service writes revocations."""
    return next_redis_url(redis_server)


@pytest.fixture(scope="session")
def backend(postgres, redis_server, gateway_redis_url) -> Iterator[Backend]:
    started: list[ServiceProcess] = []
    try:
        user = _start(
            "user_service",
            "user",
            service_env(
                "user",
                database_url=postgres.create_database("gateway_user", recreate=True),
                redis_url=next_redis_url(redis_server),
                revocation_redis_url=gateway_redis_url,
                jwt_secret=TEST_JWT_SECRET,
            ),
        )
        started.append(user)
        product = _start("product_service", "product", product_env(postgres, redis_server))
        started.append(product)
        order = _start(
            "order_service",
            "order",
            service_env(
                "order",
                database_url=postgres.create_database("gateway_order", recreate=True),
                redis_url=next_redis_url(redis_server),
                product_service_url=product.url,
            ),
        )
        started.append(order)
        yield Backend(user, product, order)
    finally:
        for process in started:
            process.kill()


@pytest.fixture(scope="session")
def gateway(backend, gateway_redis_url) -> Iterator[ServiceProcess]:
    """A gateway in front of the real services, with limits no test reaches."""
    env = gateway_env(
        gateway_redis_url,
        user=backend.user.url,
        product=backend.product.url,
        order=backend.order.url,
    )
    process = _start("gateway_service", "gateway", env)
    yield process
    process.kill()


@pytest.fixture(scope="module")
def lone_gateway(redis_server) -> Iterator[ServiceProcess]:
    """A gateway whose services are all unreachable, for checks made before any call.

    Its circuit breakers never open, so each request reaches the refused connection and
    the tests see the plain `upstream_unavailable` error.
    """
    env = gateway_env(next_redis_url(redis_server), circuit_failure_threshold="1000000")
    process = _start("gateway_service", "gateway-lone", env)
    yield process
    process.kill()


@pytest.fixture
def client(gateway) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway.url, timeout=10.0) as http:
        yield http


@pytest.fixture
def lone_client(lone_gateway) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=lone_gateway.url, timeout=10.0) as http:
        yield http
