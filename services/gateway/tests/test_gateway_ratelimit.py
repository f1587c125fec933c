"""Rate limits: the allowance per client, atomic under concurrency, and Redis outages."""

import asyncio
import ipaddress
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from devstack.ports import free_port
from devstack.process import ServiceProcess
from devstack.pytest_plugin import next_redis_url
from gateway_service.clients import client_address
from gateway_testing import bearer, gateway_env, make_token

BURST = 5
ME = "/api/v1/users/me"


@pytest.fixture(scope="module")
def limited_gateway(redis_server) -> Iterator[ServiceProcess]:
    # One request per minute after a burst of BURST: nothing refills during a test.
    env = gateway_env(
        next_redis_url(redis_server), rate_limit_per_minute="1", rate_limit_burst=str(BURST)
    )
    process = ServiceProcess("gateway_service", env, port=free_port(), name="gateway-limited")
    process.start()
    yield process
    process.kill()


@pytest.fixture
def limited(limited_gateway) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=limited_gateway.url, timeout=10.0) as http:
        yield http


def test_ratelimit_allows_burst_then_429(limited):
    headers = bearer(make_token())

    allowed = [limited.get(ME, headers=headers) for _ in range(BURST)]
    rejected = limited.get(ME, headers=headers)

    assert [response.status_code for response in allowed] == [503] * BURST
    assert rejected.status_code == 429
    assert rejected.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(rejected.headers["retry-after"]) <= 60
    assert rejected.headers["ratelimit-limit"] == str(BURST)
    assert rejected.headers["ratelimit-remaining"] == "0"


def test_ratelimit_separate_per_user(limited):
    first, second = bearer(make_token()), bearer(make_token())
    for _ in range(BURST):
        limited.get(ME, headers=first)

    assert limited.get(ME, headers=first).status_code == 429
    assert limited.get(ME, headers=second).status_code == 503


def test_ratelimit_atomic_under_concurrency(limited_gateway):
    headers = bearer(make_token())

    async def send_all() -> list[int]:
        limits = httpx.Limits(max_connections=40)
        async with httpx.AsyncClient(
            base_url=limited_gateway.url, timeout=10.0, limits=limits
        ) as http:
            responses = await asyncio.gather(*(http.get(ME, headers=headers) for _ in range(40)))
        return [response.status_code for response in responses]

    statuses = asyncio.run(send_all())

    assert statuses.count(429) == 40 - BURST
    assert statuses.count(503) == BURST


def test_ratelimit_anonymous_by_address(limited):
    # Each test module's gateway has its own Redis db, but tests here share the address,
    # so this is the only test that spends the anonymous allowance.
    spoofed = {"X-Forwarded-For": f"10.0.0.{uuid.uuid4().int % 250}"}
    statuses = [limited.get("/api/v1/products", headers=spoofed).status_code for _ in range(BURST)]

    rejected = limited.get("/api/v1/products", headers={"X-Forwarded-For": "10.9.9.9"})

    assert statuses == [503] * BURST
    assert rejected.status_code == 429


def test_ratelimit_redis_down_fails_open(start_service):
    env = gateway_env(f"redis://127.0.0.1:{free_port()}/0", rate_limit_burst="1")
    gateway = start_service("gateway_service", env)

    with httpx.Client(base_url=gateway.url, timeout=10.0) as http:
        statuses = [http.get(ME, headers=bearer(make_token())).status_code for _ in range(3)]

    assert statuses == [503, 503, 503]
    assert "rate limiter cannot reach redis, so it is allowing requests" in gateway.logs()


def test_ratelimit_redis_down_fail_closed(start_service):
    env = gateway_env(f"redis://127.0.0.1:{free_port()}/0", rate_limit_fail_open="false")
    gateway = start_service("gateway_service", env, wait_ready=False)
    _wait_live(gateway)

    with httpx.Client(base_url=gateway.url, timeout=10.0) as http:
        response = http.get(ME, headers=bearer(make_token()))
        readiness = http.get("/readyz")

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "rate_limiter_unavailable"
    assert readiness.status_code == 503


def _wait_live(process: ServiceProcess, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=1.0) as http:
        while time.monotonic() < deadline:
            try:
                if http.get(f"{process.url}/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
    raise AssertionError(f"gateway not live after {timeout} s:\n{process.logs()[-2000:]}")


def _scope(peer: str, forwarded: str | None = None) -> dict:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return {"client": (peer, 50000), "headers": headers}


def test_client_address_ignores_forwarded_for_by_default():
    assert client_address(_scope("192.0.2.7", "203.0.113.9"), ()) == "192.0.2.7"


def test_client_address_untrusted_peer_ignores_forwarded_for():
    trusted = (ipaddress.ip_network("10.0.0.0/8"),)

    assert client_address(_scope("192.0.2.7", "203.0.113.9"), trusted) == "192.0.2.7"


def test_client_address_trusted_proxy_takes_rightmost_untrusted():
    trusted = (ipaddress.ip_network("10.0.0.0/8"),)
    scope = _scope("10.0.0.2", "198.51.100.1, 203.0.113.9, 10.0.0.5")

    assert client_address(scope, trusted) == "203.0.113.9"
