"""The rate limit applies across two gateway replicas that share one Redis."""

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from devstack.ports import free_port
from devstack.process import ServiceProcess
from security_testing import register

BURST = 7
REQUESTS = 40
# A Redis database number no other part of the stack uses.
REDIS_DB = 9


@pytest.fixture(scope="module")
def replicas(stack) -> Iterator[list[ServiceProcess]]:
    """Two gateways with the stack's settings, one request per minute after a burst of BURST."""
    env = {
        **stack.services["gateway"].env,
        "REDIS_URL": stack.redis.url(REDIS_DB),
        "RATE_LIMIT_PER_MINUTE": "1",
        "RATE_LIMIT_BURST": str(BURST),
    }
    started = []
    try:
        for index in range(2):
            process = ServiceProcess(
                "gateway_service", env, port=free_port(), name=f"gateway-replica-{index}"
            )
            started.append(process)
            process.start()
        yield started
    finally:
        for process in started:
            process.stop()


async def _send_concurrently(urls: list[str], headers: dict[str, str]) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=REQUESTS)
    async with httpx.AsyncClient(timeout=10.0, limits=limits) as client:
        requests = [
            client.get(f"{urls[index % len(urls)]}/api/v1/users/me", headers=headers)
            for index in range(REQUESTS)
        ]
        return await asyncio.gather(*requests)


@pytest.mark.slow
def test_ratelimit_shared_across_replicas_atomic(replicas, customer):
    urls = [process.url for process in replicas]

    responses = asyncio.run(_send_concurrently(urls, customer.headers))
    statuses = [response.status_code for response in responses]
    rejected = [response for response in responses if response.status_code == 429]

    assert statuses.count(200) == BURST
    assert len(rejected) == REQUESTS - BURST
    assert all(int(response.headers["retry-after"]) >= 1 for response in rejected)


@pytest.mark.slow
def test_ratelimit_spent_on_one_replica_applies_on_other(replicas, gateway):
    account = register(gateway)
    first, second = (httpx.Client(base_url=process.url, timeout=10.0) for process in replicas)

    with first, second:
        spent = [first.get("/api/v1/users/me", headers=account.headers) for _ in range(BURST)]
        other = second.get("/api/v1/users/me", headers=account.headers)

    assert [response.status_code for response in spent] == [200] * BURST
    assert other.status_code == 429
    assert "retry-after" in other.headers
