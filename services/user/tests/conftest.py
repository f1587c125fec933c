"""Fixtures: one user service process per test module, on its own database."""

from collections.abc import Callable, Iterator

import httpx
import pytest
from devstack.ports import free_port
from devstack.process import ServiceProcess
from devstack.pytest_plugin import next_redis_url
from user_testing import PASSWORD, unique_email, user_env


@pytest.fixture(scope="module")
def database_url(postgres, request) -> str:
    name = f"user_{request.module.__name__.rsplit('.', 1)[-1]}"
    return postgres.create_database(name, recreate=True)


@pytest.fixture(scope="module")
def redis_url(redis_server) -> str:
    return next_redis_url(redis_server)


@pytest.fixture(scope="module")
def user_service(database_url, redis_url) -> Iterator[ServiceProcess]:
    process = ServiceProcess(
        "user_service", user_env(database_url, redis_url), port=free_port(), name="user"
    )
    process.start()
    yield process
    process.kill()


@pytest.fixture
def client(user_service) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=user_service.url, timeout=10.0) as http:
        yield http


@pytest.fixture
def register(client) -> Callable[..., dict]:
    """Factory: register a user through the API; keyword arguments override the defaults."""

    def create(**overrides) -> dict:
        body = {"email": unique_email(), "password": PASSWORD, "name": "Ada Lovelace", **overrides}
        response = client.post("/users", json=body)
        assert response.status_code == 201, response.text
        return response.json()

    return create
