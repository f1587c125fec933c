"""A rolling update of the product service's two replicas under a stream of requests.

Each replica in turn gets SIGTERM while it serves a long request (a list request slowed
by fault injection), drains, exits by itself and is replaced on the same port, as a
Deployment replaces a pod. The gateway lists both replicas and retries refused or closed
connections of idempotent requests on the other one, so no client sees a failure.
"""

import concurrent.futures
import json
import re

import httpx
import pytest
from devstack.ports import free_port
from devstack.process import ServiceProcess
from devstack.pytest_plugin import TEST_JWT_SECRET, next_redis_url, service_env
from fault_testing import RequestLoop, wait_until

pytestmark = pytest.mark.slow

LONG_REQUEST_MS = 1500
SLOW_LIST = json.dumps([{"route": "/products", "method": "GET", "latency_ms": LONG_REQUEST_MS}])
ADMIN = {"X-User-ID": "00000000-0000-0000-0000-000000000001", "X-User-Role": "admin"}


def _list_in_flight(replica: ServiceProcess) -> bool:
    text = httpx.get(f"{replica.url}/metrics", timeout=2).text
    match = re.search(
        r'^http_requests_in_flight{method="GET",route="/products"} ([0-9.]+)$', text, re.MULTILINE
    )
    return bool(match) and float(match.group(1)) >= 1


def _roll(replica: ServiceProcess, gateway_url: str, executor) -> tuple[list, int]:
    """Start long requests until one runs on the replica, SIGTERM it, start it again."""
    long_requests = []
    for _ in range(8):
        long_requests.append(
            executor.submit(httpx.get, f"{gateway_url}/api/v1/products", timeout=10)
        )
        if wait_until(lambda: _list_in_flight(replica), timeout=0.5):
            break
    else:
        pytest.fail(f"no long request reached {replica.name}")

    exit_code = replica.stop()
    replica.start()
    return long_requests, exit_code


def test_rolling_update_no_failed_requests(postgres, redis_server, start_service):
    database_url = postgres.create_database("faults_rolling_product", recreate=True)
    env = service_env(
        "product",
        database_url=database_url,
        redis_url=next_redis_url(redis_server),
        fault_injection_enabled="true",
        fault_injection_rules=SLOW_LIST,
    )
    replicas = [start_service("product_service", env) for _ in range(2)]
    unused = f"http://127.0.0.1:{free_port()}"
    gateway = start_service(
        "gateway_service",
        service_env(
            "gateway",
            redis_url=next_redis_url(redis_server),
            jwt_secret=TEST_JWT_SECRET,
            product_service_url=",".join(replica.url for replica in replicas),
            user_service_url=unused,
            order_service_url=unused,
            # The stream sends 200 requests/s from one address, above the default limit.
            rate_limit_per_minute="1000000",
            rate_limit_burst="100000",
        ),
    )
    created = httpx.post(
        f"{replicas[0].url}/products",
        json={
            "sku": "ROLLING-1",
            "name": "Rolled",
            "description": "x",
            "category": "test",
            "price_cents": 100,
            "stock": 5,
        },
        headers=ADMIN,
    )
    assert created.status_code == 201, created.text
    product_path = f"{gateway.url}/api/v1/products/{created.json()['id']}"

    def read_product(client: httpx.Client) -> httpx.Response:
        return client.get(product_path)

    with (
        concurrent.futures.ThreadPoolExecutor(max_workers=8) as executor,
        RequestLoop(read_product, pause=0.005) as stream,
    ):
        rolls = [_roll(replica, gateway.url, executor) for replica in replicas]
        long_statuses = [
            request.result(timeout=15).status_code
            for long_requests, _ in rolls
            for request in long_requests
        ]

    failed = [sample for sample in stream.samples if sample.status != 200]
    retries = re.search(
        r'^gateway_upstream_retries_total{service="product"} ([0-9.]+)$',
        httpx.get(f"{gateway.url}/metrics").text,
        re.MULTILINE,
    )
    print(
        f"\nrolling update: {len(stream.samples)} stream requests, {len(failed)} failed;"
        f" {len(long_statuses)} long requests {long_statuses};"
        f" gateway retries {retries.group(1) if retries else 0}"
    )
    assert [exit_code for _, exit_code in rolls] == [0, 0]
    assert long_statuses == [200] * len(long_statuses)
    assert len(stream.samples) > 50
    assert failed == []
