"""Pytest fixtures that give tests real PostgreSQL, Redis and service processes.

One PostgreSQL and one Redis serve the whole test session; each test module gets its
own databases (`postgres.create_database(name, recreate=True)`) and Redis db numbers.
"""

import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from devstack.ports import free_port
from devstack.postgres import PostgresServer
from devstack.process import ServiceProcess
from devstack.redis import RedisServer

# A fixed secret for tests only; real deployments take JWT_SECRET from a Secret.
TEST_JWT_SECRET = "test-only-secret-0123456789abcdef0123456789abcdef"

_redis_databases = itertools.count(1)


@pytest.fixture(scope="session", autouse=True)
def service_log_dir(tmp_path_factory) -> Path:
    """Collect the logs of service processes under pytest's temporary folder.

    pytest keeps the folders of the last three runs only, so logs do not pile up in /tmp.
    """
    folder = tmp_path_factory.mktemp("service-logs")
    os.environ["DEVSTACK_LOG_DIR"] = str(folder)
    return folder


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer(free_port())
    server.start()
    yield server
    server.stop()


def next_redis_url(redis_server: RedisServer) -> str:
    """Return a Redis URL on a database number no other caller in this session got."""
    return redis_server.url(next(_redis_databases) % 64)


def service_env(name: str, **extra: str) -> dict[str, str]:
    """Environment shared by test service processes: quiet, fast to stop."""
    env = {
        "SERVICE_NAME": name,
        "LOG_LEVEL": "INFO",
        "ACCESS_LOG": "true",
        "GRACEFUL_TIMEOUT_SECONDS": "10",
    }
    env.update({key.upper(): value for key, value in extra.items()})
    return env


@pytest.fixture
def start_service() -> Iterator[Callable[..., ServiceProcess]]:
    """Factory: start_service(module, env) starts a process; the test's end stops it."""
    started: list[ServiceProcess] = []

    def start(module: str, env: dict[str, str], *, wait_ready: bool = True) -> ServiceProcess:
        process = ServiceProcess(module, env, port=free_port(), name=env.get("SERVICE_NAME", ""))
        started.append(process)
        return process.start(wait_ready=wait_ready)

    yield start
    for process in started:
        process.kill()
