"""Circuit breaker and retries, against a real product service paused, killed or missing."""

import os
import re
import signal
import time

import httpx
import pytest
from devstack.pytest_plugin import next_redis_url
from gateway_service.retries import RetryBudget, backoff_seconds
from gateway_testing import bearer, gateway_env, make_token, product_env, unused_url

pytestmark = pytest.mark.slow

PRODUCTS = "/api/v1/products"
RESET_SECONDS = 1.0


def _metric(gateway_url: str, name: str, service: str = "product") -> float:
    text = httpx.get(f"{gateway_url}/metrics").text
    match = re.search(rf'^{name}{{service="{service}"}} ([0-9.e+-]+)$', text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def _timed_get(client: httpx.Client, path: str = PRODUCTS) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = client.get(path)
    return response, time.monotonic() - started


def _breaker_gateway(start_service, redis_server, product_url: str, **extra: str):
    env = gateway_env(
        next_redis_url(redis_server),
        product=product_url,
        circuit_failure_threshold="3",
        circuit_reset_seconds=str(RESET_SECONDS),
        upstream_max_retries="0",
        **extra,
    )
    return start_service("gateway_service", env)


def test_breaker_opens_on_killed_service_then_closes(postgres, redis_server, start_service):
    product = start_service("product_service", product_env(postgres, redis_server, "breaker_kill"))
    gateway = _breaker_gateway(start_service, redis_server, product.url)

    with httpx.Client(base_url=gateway.url, timeout=10.0) as client:
        assert client.get(PRODUCTS).status_code == 200
        product.kill()
        refused = [client.get(PRODUCTS) for _ in range(3)]
        open_response, open_seconds = _timed_get(client)
        opened_state = _metric(gateway.url, "gateway_circuit_state")

        product.start()
        time.sleep(RESET_SECONDS)
        probe = client.get(PRODUCTS)
        closed_state = _metric(gateway.url, "gateway_circuit_state")

    print(f"\nopen breaker answered in {open_seconds * 1000:.1f} ms")
    assert [r.json()["error"]["details"] for r in refused] == [{"service": "product"}] * 3
    assert open_response.status_code == 503
    assert open_response.json()["error"]["code"] == "upstream_unavailable"
    assert open_response.json()["error"]["details"] == {
        "service": "product",
        "code": "circuit_open",
    }
    assert open_seconds < 0.2
    assert opened_state == 2
    assert probe.status_code == 200
    assert closed_state == 0
    assert _metric(gateway.url, "gateway_circuit_short_circuited_total") >= 1


def test_breaker_opens_on_paused_service(postgres, redis_server, start_service):
    product = start_service("product_service", product_env(postgres, redis_server, "breaker_stop"))
    gateway = _breaker_gateway(
        start_service, redis_server, product.url, upstream_timeout_seconds="0.5"
    )

    with httpx.Client(base_url=gateway.url, timeout=10.0) as client:
        assert client.get(PRODUCTS).status_code == 200
        os.kill(product.process.pid, signal.SIGSTOP)
        try:
            timed_out = [_timed_get(client) for _ in range(3)]
            open_response, open_seconds = _timed_get(client)
            # While open, the breaker makes no call, so a long pause costs nothing.
            half_open_too_early, _ = _timed_get(client)
        finally:
            os.kill(product.process.pid, signal.SIGCONT)
        time.sleep(RESET_SECONDS)
        probe = client.get(PRODUCTS)

    print(
        f"\ntimeouts took {[round(seconds, 2) for _, seconds in timed_out]} s;"
        f" open breaker answered in {open_seconds * 1000:.1f} ms"
    )
    assert [response.status_code for response, _ in timed_out] == [504] * 3
    assert all(0.4 <= seconds < 2.0 for _, seconds in timed_out)
    assert open_response.json()["error"]["details"]["code"] == "circuit_open"
    assert open_seconds < 0.2
    assert half_open_too_early.status_code == 503
    assert probe.status_code == 200


def test_retry_idempotent_read_on_next_replica(backend, redis_server, start_service):
    gateway = start_service(
        "gateway_service",
        gateway_env(next_redis_url(redis_server), product=f"{unused_url()},{backend.product.url}"),
    )

    with httpx.Client(base_url=gateway.url, timeout=10.0) as client:
        statuses = [client.get(PRODUCTS).status_code for _ in range(6)]

    assert statuses == [200] * 6
    # After its first refusal the dead replica is skipped, so later reads need no retry.
    assert _metric(gateway.url, "gateway_upstream_retries_total") >= 1


def test_retry_refused_write_on_next_replica(backend, redis_server, start_service):
    # A refused connection carried no request, so even a POST is safe to send again.
    gateway = start_service(
        "gateway_service",
        gateway_env(next_redis_url(redis_server), product=f"{unused_url()},{backend.product.url}"),
    )
    body = {
        "sku": f"RETRY-{time.monotonic_ns()}",
        "name": "Retried",
        "description": "x",
        "category": "test",
        "price_cents": 100,
        "stock": 1,
    }

    with httpx.Client(base_url=gateway.url, timeout=10.0) as client:
        created = [
            client.post(
                PRODUCTS,
                json={**body, "sku": f"{body['sku']}-{i}"},
                headers=bearer(make_token(role="admin")),
            ).status_code
            for i in range(2)
        ]

    assert created == [201, 201]


def test_retry_budget_caps_retries(redis_server, start_service):
    requests = 40
    env = gateway_env(
        next_redis_url(redis_server),
        circuit_failure_threshold="1000000",
        upstream_retry_budget_ratio="0.2",
        upstream_retry_budget_min_retries="0",
        upstream_max_retries="3",
    )
    gateway = start_service("gateway_service", env)

    with httpx.Client(base_url=gateway.url, timeout=10.0) as client:
        statuses = [client.get(PRODUCTS).status_code for _ in range(requests)]

    retries = _metric(gateway.url, "gateway_upstream_retries_total")
    exhausted = _metric(gateway.url, "gateway_retry_budget_exhausted_total")
    print(f"\n{requests} requests to a dead service: {retries:.0f} retries, {exhausted:.0f} denied")
    assert statuses == [503] * requests
    assert 0 < retries <= 0.2 * requests
    assert exhausted > 0


def test_retry_budget_ratio_over_window():
    budget = RetryBudget(ratio=0.2, window_seconds=10.0, min_retries=0)
    for _ in range(10):
        budget.record_request()

    granted = [budget.try_spend() for _ in range(5)]

    assert granted == [True, True, False, False, False]


def test_backoff_jittered_within_doubling_cap():
    delays = [backoff_seconds(3, base=0.1, maximum=1.0) for _ in range(200)]

    assert all(0 <= delay <= 0.4 for delay in delays)
    assert len({round(delay, 6) for delay in delays}) > 100
    assert max(backoff_seconds(10, base=0.1, maximum=1.0) for _ in range(50)) <= 1.0
