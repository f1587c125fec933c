"""Failures in the middle of a saga: the product service down, the order service killed.

These tests start their own processes, with a recovery loop that takes over orders
untouched for half a second, so they can stop and kill them.
"""

import concurrent.futures
import os
import signal
import time
import uuid
from collections.abc import Callable

import httpx
import pytest
from devstack.postgres import PostgresServer
from devstack.process import ServiceProcess
from devstack.redis import RedisServer
from order_testkit import (
    confirmed_quantity,
    count_orders,
    create_product,
    new_key,
    order_body,
    order_env,
    product_env,
    read_stock,
    user_headers,
    wait_for_log,
    wait_for_order,
)

pytestmark = pytest.mark.slow

FAST_RECOVERY = {
    "recovery_interval_seconds": "0.2",
    "recovery_min_age_seconds": "0.5",
    "product_connect_timeout_seconds": "0.5",
    "product_read_timeout_seconds": "5",
}

StartService = Callable[..., ServiceProcess]


def start_product(postgres, redis_server, start_service: StartService, name: str):
    env = product_env(postgres, redis_server, database=f"{name}_product")
    return start_service("product_service", env)


def recovery_env(postgres, redis_server, name: str, product: ServiceProcess, **extra: str) -> dict:
    return order_env(
        postgres,
        redis_server,
        database=f"{name}_order",
        product_url=product.url,
        **{**FAST_RECOVERY, **extra},
    )


def test_create_order_product_down_recovers(
    postgres: PostgresServer, redis_server: RedisServer, start_service: StartService
) -> None:
    product = start_product(postgres, redis_server, start_service, "recovery_down")
    product_id = create_product(product.url, stock=10)
    order = start_service(
        "order_service", recovery_env(postgres, redis_server, "recovery_down", product)
    )
    user_id = str(uuid.uuid4())
    product.stop()

    response = httpx.post(
        f"{order.url}/orders",
        json=order_body((product_id, 4)),
        headers=user_headers(user_id, key=new_key()),
    )
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "product_service_unavailable"
    order_id = response.json()["error"]["details"]["order_id"]
    retried = wait_for_log(order, "product call failed; retrying")
    assert retried["call"] == "POST /internal/reservations"
    assert retried["error"] == "ConnectError"

    product.start()
    with httpx.Client() as client:
        settled = wait_for_order(client, order.url, user_id=user_id, order_id=order_id)

    # The saga stored the rejection before its release failed; recovery only finishes it.
    assert settled["status"] == "rejected"
    assert settled["error"]["code"] == "product_service_unavailable"
    assert wait_for_log(order, "recovery: order settled")["action"] == "rejected"
    assert read_stock(product.url, product_id) == 10
    assert count_orders(postgres, "recovery_down_order", "pending") == 0
    assert count_orders(postgres, "recovery_down_order", "rejecting") == 0


def test_saga_killed_after_reservation_recovers(
    postgres: PostgresServer, redis_server: RedisServer, start_service: StartService
) -> None:
    seeded = 10
    product = start_product(postgres, redis_server, start_service, "recovery_crash")
    product_id = create_product(product.url, stock=seeded, price_cents=700)
    paused_env = recovery_env(
        postgres, redis_server, "recovery_crash", product, saga_pause_after_reserve_seconds="60"
    )
    crashing = start_service("order_service", paused_env)
    user_id, key = str(uuid.uuid4()), new_key()
    body = order_body((product_id, 3))

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as executor:
        request = executor.submit(
            httpx.post, f"{crashing.url}/orders", json=body, headers=user_headers(user_id, key=key)
        )
        order_id = wait_for_log(crashing, "saga paused after reservation")["order_id"]
        crashing.kill()
        with pytest.raises(httpx.TransportError):
            request.result(timeout=10)

    # Same database, no pause: the recovery loop finds the order pending and reserved.
    env = {**paused_env, "SAGA_PAUSE_AFTER_RESERVE_SECONDS": "0"}
    restarted = start_service("order_service", env)
    with httpx.Client() as client:
        settled = wait_for_order(client, restarted.url, user_id=user_id, order_id=order_id)

    assert settled["status"] == "confirmed"
    assert settled["total_cents"] == 3 * 700
    assert wait_for_log(restarted, "recovery: order settled")["action"] == "confirmed"
    reserved_units = confirmed_quantity(postgres, "recovery_crash_order", product_id)
    assert read_stock(product.url, product_id) + reserved_units == seeded
    assert reserved_units == 3

    replay = httpx.post(
        f"{restarted.url}/orders", json=body, headers=user_headers(user_id, key=key)
    )
    assert replay.status_code == 201
    assert replay.json()["id"] == order_id


def test_cancel_order_product_down_finishes_later(
    postgres: PostgresServer, redis_server: RedisServer, start_service: StartService
) -> None:
    product = start_product(postgres, redis_server, start_service, "recovery_cancel")
    product_id = create_product(product.url, stock=10)
    order = start_service(
        "order_service", recovery_env(postgres, redis_server, "recovery_cancel", product)
    )
    user_id = str(uuid.uuid4())
    created = httpx.post(
        f"{order.url}/orders",
        json=order_body((product_id, 6)),
        headers=user_headers(user_id, key=new_key()),
    ).json()
    product.stop()

    response = httpx.post(
        f"{order.url}/orders/{created['id']}/cancel", headers=user_headers(user_id)
    )
    assert response.status_code == 503, response.text

    product.start()
    with httpx.Client() as client:
        settled = wait_for_order(client, order.url, user_id=user_id, order_id=created["id"])

    assert settled["status"] == "cancelled"
    assert read_stock(product.url, product_id) == 10


def test_create_order_replay_while_in_flight(
    postgres: PostgresServer, redis_server: RedisServer, start_service: StartService
) -> None:
    product = start_product(postgres, redis_server, start_service, "recovery_inflight")
    product_id = create_product(product.url, stock=10)
    env = order_env(
        postgres,
        redis_server,
        database="recovery_inflight_order",
        product_url=product.url,
        saga_pause_after_reserve_seconds="3",
        idempotency_wait_seconds="0.2",
    )
    order = start_service("order_service", env)
    headers = user_headers(str(uuid.uuid4()), key=new_key())
    body = order_body((product_id, 2))

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as executor:
        first = executor.submit(
            httpx.post, f"{order.url}/orders", json=body, headers=headers, timeout=30
        )
        wait_for_log(order, "saga paused after reservation")
        early = httpx.post(f"{order.url}/orders", json=body, headers=headers)
        first_response = first.result(timeout=30)
    late = httpx.post(f"{order.url}/orders", json=body, headers=headers)

    assert early.status_code == 409
    assert early.json()["error"]["code"] == "request_in_progress"
    assert early.headers["Retry-After"] == "1"
    assert first_response.status_code == 201
    assert late.json()["id"] == first_response.json()["id"]
    assert read_stock(product.url, product_id) == 8


def test_order_service_stops_cleanly(
    postgres: PostgresServer, redis_server: RedisServer, start_service: StartService
) -> None:
    product = start_product(postgres, redis_server, start_service, "recovery_stop")
    order = start_service(
        "order_service", recovery_env(postgres, redis_server, "recovery_stop", product)
    )

    exit_code = order.stop()

    assert exit_code == 0
    assert "recovery loop stopped" in order.logs()


def assert_reconciled(
    postgres: PostgresServer, database: str, product_url: str, seeded: dict[int, int]
) -> None:
    """No order is left unsettled, and each product's stock plus confirmed units is its seed."""
    for status in ("pending", "rejecting", "cancelling"):
        assert count_orders(postgres, database, status) == 0, f"orders left {status}"
    for product_id, stock in seeded.items():
        held = confirmed_quantity(postgres, database, product_id)
        assert read_stock(product_url, product_id) + held == stock, f"product {product_id}"


def _place_in_background(executor, url: str, user_id: str, body: dict):
    return executor.submit(
        httpx.post,
        f"{url}/orders",
        json=body,
        headers=user_headers(user_id, key=new_key()),
        timeout=30,
    )


def test_order_killed_before_reservation_settles(
    postgres: PostgresServer, redis_server: RedisServer, start_service: StartService
) -> None:
    name = "recovery_kill_early"
    product = start_product(postgres, redis_server, start_service, name)
    seeded = {create_product(product.url, stock=10): 10, create_product(product.url, stock=4): 4}
    env = recovery_env(postgres, redis_server, name, product)
    order = start_service("order_service", env)
    user_id = str(uuid.uuid4())
    body = order_body(*((product_id, 2) for product_id in seeded))

    # The product service is paused, so the saga stops after inserting the pending
    # order, with its reservation request unanswered.
    os.kill(product.process.pid, signal.SIGSTOP)
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as executor:
            request = _place_in_background(executor, order.url, user_id, body)
            order_id = wait_for_log(order, "order created")["order_id"]
            order.kill()
            with pytest.raises(httpx.TransportError):
                request.result(timeout=10)
    finally:
        os.kill(product.process.pid, signal.SIGCONT)

    restarted = start_service("order_service", env)
    with httpx.Client() as client:
        settled = wait_for_order(client, restarted.url, user_id=user_id, order_id=order_id)

    assert settled["status"] in ("confirmed", "rejected")
    assert_reconciled(postgres, f"{name}_order", product.url, seeded)


def test_product_killed_during_reservation_settles(
    postgres: PostgresServer, redis_server: RedisServer, start_service: StartService
) -> None:
    name = "recovery_product_kill"
    product = start_product(postgres, redis_server, start_service, name)
    seeded = {create_product(product.url, stock=6): 6}
    order = start_service("order_service", recovery_env(postgres, redis_server, name, product))
    user_id = str(uuid.uuid4())

    os.kill(product.process.pid, signal.SIGSTOP)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as executor:
        request = _place_in_background(
            executor, order.url, user_id, order_body((next(iter(seeded)), 5))
        )
        order_id = wait_for_log(order, "order created")["order_id"]
        product.kill()
        response = request.result(timeout=20)

    assert response.status_code == 503, response.text
    product.start()
    with httpx.Client() as client:
        settled = wait_for_order(client, order.url, user_id=user_id, order_id=order_id)

    assert settled["status"] == "rejected"
    assert_reconciled(postgres, f"{name}_order", product.url, seeded)


@pytest.mark.parametrize("victim", ["order", "product"])
def test_killed_during_cancel_finishes(
    postgres: PostgresServer,
    redis_server: RedisServer,
    start_service: StartService,
    victim: str,
) -> None:
    name = f"recovery_cancel_kill_{victim}"
    product = start_product(postgres, redis_server, start_service, name)
    seeded = {create_product(product.url, stock=8): 8}
    env = recovery_env(postgres, redis_server, name, product)
    order = start_service("order_service", env)
    user_id = str(uuid.uuid4())
    created = httpx.post(
        f"{order.url}/orders",
        json=order_body((next(iter(seeded)), 3)),
        headers=user_headers(user_id, key=new_key()),
    ).json()
    assert created["status"] == "confirmed"

    # Paused, the product service holds the release; the cancel waits in `cancelling`.
    os.kill(product.process.pid, signal.SIGSTOP)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as executor:
        request = executor.submit(
            httpx.post,
            f"{order.url}/orders/{created['id']}/cancel",
            headers=user_headers(user_id),
            timeout=30,
        )
        assert wait_until_status(postgres, f"{name}_order", created["id"], "cancelling")
        if victim == "order":
            order.kill()
            os.kill(product.process.pid, signal.SIGCONT)
            with pytest.raises(httpx.TransportError):
                request.result(timeout=10)
            order = start_service("order_service", env)
        else:
            product.kill()
            assert request.result(timeout=20).status_code == 503
            product.start()

    with httpx.Client() as client:
        settled = wait_for_order(client, order.url, user_id=user_id, order_id=created["id"])

    assert settled["status"] == "cancelled"
    assert_reconciled(postgres, f"{name}_order", product.url, seeded)


def wait_until_status(
    postgres: PostgresServer, database: str, order_id: str, status: str, timeout: float = 10.0
) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = postgres.psql(f"SELECT status FROM orders WHERE id = '{order_id}'", database)
        if current.strip() == status:
            return True
        time.sleep(0.05)
    return False
