"""Redis stopped while serving: product reads come from PostgreSQL, the gateway fails open."""

import time
from collections.abc import Iterator

import httpx
import pytest
from devstack.ports import free_port
from devstack.pytest_plugin import TEST_JWT_SECRET, service_env
from devstack.redis import RedisServer

pytestmark = pytest.mark.slow

# The product cache and the rate limiter time out Redis calls after REDIS_TIMEOUT_SECONDS
# (0.5 s by default) and skip Redis for a while after a failure, so reads stay well
# under a second.
MAX_READ_SECONDS = 1.5


@pytest.fixture
def stoppable_redis() -> Iterator[RedisServer]:
    server = RedisServer(free_port())
    server.start()
    yield server
    server.stop()


def test_redis_stopped_reads_still_answer(postgres, stoppable_redis, start_service):
    product = start_service(
        "product_service",
        service_env(
            "product",
            database_url=postgres.create_database("faults_redis_product", recreate=True),
            redis_url=stoppable_redis.url(0),
        ),
    )
    unused = f"http://127.0.0.1:{free_port()}"
    gateway = start_service(
        "gateway_service",
        service_env(
            "gateway",
            redis_url=stoppable_redis.url(1),
            jwt_secret=TEST_JWT_SECRET,
            product_service_url=product.url,
            user_service_url=unused,
            order_service_url=unused,
        ),
    )
    admin = {"X-User-ID": "00000000-0000-0000-0000-000000000001", "X-User-Role": "admin"}
    created = httpx.post(
        f"{product.url}/products",
        json={
            "sku": "REDIS-DOWN-1",
            "name": "Kept in PostgreSQL",
            "description": "x",
            "category": "test",
            "price_cents": 100,
            "stock": 5,
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    path = f"/api/v1/products/{created.json()['id']}"

    with httpx.Client(base_url=gateway.url, timeout=5.0) as client:
        assert client.get(path).status_code == 200
        stoppable_redis.stop()

        timings = []
        for _ in range(10):
            started = time.monotonic()
            response = client.get(path)
            timings.append(time.monotonic() - started)
            assert response.status_code == 200, response.text
            assert response.json()["name"] == "Kept in PostgreSQL"
        direct = httpx.get(f"{product.url}{path.removeprefix('/api/v1')}", timeout=5.0)

    print(f"\nreads with Redis stopped: slowest {max(timings):.3f} s of {len(timings)}")
    assert max(timings) < MAX_READ_SECONDS
    assert direct.status_code == 200
    assert "rate limiter cannot reach redis, so it is allowing requests" in gateway.logs()
