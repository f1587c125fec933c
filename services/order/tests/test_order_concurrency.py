"""Concurrent order requests: idempotency under a burst, and no overselling of stock."""

import asyncio
import time
import uuid

import httpx
from order_testkit import (
    Stack,
    confirmed_quantity,
    count_orders,
    create_product,
    new_key,
    order_body,
    read_stock,
    user_headers,
)


async def post_all(url: str, requests: list[tuple[dict, dict]]) -> list[httpx.Response]:
    """Send every (body, headers) request at once; return the responses in request order."""
    limits = httpx.Limits(max_connections=len(requests))
    async with httpx.AsyncClient(timeout=60.0, limits=limits) as client:
        sends = [
            client.post(f"{url}/orders", json=body, headers=headers) for body, headers in requests
        ]
        return await asyncio.gather(*sends)


def test_create_order_same_key_burst_makes_one_order(stack: Stack) -> None:
    product_id = create_product(stack.product.url, stock=100)
    headers = user_headers(str(uuid.uuid4()), key=new_key())
    body = order_body((product_id, 3))

    started = time.monotonic()
    responses = asyncio.run(post_all(stack.order.url, [(body, headers)] * 50))
    print(f"50 requests with one key took {time.monotonic() - started:.2f} s")

    assert [response.status_code for response in responses] == [201] * 50
    assert len({response.json()["id"] for response in responses}) == 1
    assert read_stock(stack.product.url, product_id) == 97
    assert confirmed_quantity(stack.postgres, stack.order_database, product_id) == 3


def test_create_order_burst_never_oversells(stack: Stack) -> None:
    seeded = 50
    product_id = create_product(stack.product.url, stock=seeded)
    body = order_body((product_id, 1))
    requests = [(body, user_headers(key=new_key())) for _ in range(200)]

    started = time.monotonic()
    responses = asyncio.run(post_all(stack.order.url, requests))
    print(f"200 orders for 50 units took {time.monotonic() - started:.2f} s")

    statuses = [response.status_code for response in responses]
    assert statuses.count(201) == 50
    assert statuses.count(409) == 150
    assert read_stock(stack.product.url, product_id) == 0
    assert confirmed_quantity(stack.postgres, stack.order_database, product_id) == seeded
    assert count_orders(stack.postgres, stack.order_database, "pending") == 0
