"""Internal reservation routes: atomic, idempotent per order id, released once."""

import asyncio
import uuid

import httpx
import pytest
from product_testing import ADMIN_HEADERS, error_fields


def reserve(client, order_id, items):
    body = {"order_id": str(order_id), "items": items}
    return client.post("/internal/reservations", json=body)


def stock_of(client, product) -> int:
    return client.get(f"/products/{product['id']}").json()["stock"]


def test_reserve_takes_stock_at_current_price(client, create_product):
    lamp = create_product(stock=10, price_cents=2500)
    chair = create_product(stock=3, price_cents=9900)
    order_id = uuid.uuid4()

    response = reserve(
        client,
        order_id,
        [{"product_id": chair["id"], "quantity": 3}, {"product_id": lamp["id"], "quantity": 2}],
    )

    assert response.status_code == 200
    assert response.json() == {
        "order_id": str(order_id),
        "status": "reserved",
        "items": sorted(
            [
                {"product_id": lamp["id"], "quantity": 2, "unit_price_cents": 2500},
                {"product_id": chair["id"], "quantity": 3, "unit_price_cents": 9900},
            ],
            key=lambda item: item["product_id"],
        ),
    }
    assert stock_of(client, lamp) == 8
    assert stock_of(client, chair) == 0


def test_reserve_one_item_short_reserves_nothing(client, create_product):
    plenty = create_product(stock=5)
    short = create_product(stock=1)
    order_id = uuid.uuid4()

    response = reserve(
        client,
        order_id,
        [{"product_id": plenty["id"], "quantity": 2}, {"product_id": short["id"], "quantity": 3}],
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "insufficient_stock"
    assert response.json()["error"]["details"] == {
        "product_id": short["id"],
        "requested": 3,
        "available": 1,
    }
    assert stock_of(client, plenty) == 5
    assert stock_of(client, short) == 1
    assert client.get(f"/internal/reservations/{order_id}").status_code == 404


def test_reserve_unknown_product_reserves_nothing(client, create_product):
    known = create_product(stock=5)

    response = reserve(
        client,
        uuid.uuid4(),
        [{"product_id": known["id"], "quantity": 1}, {"product_id": 777777777, "quantity": 1}],
    )

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "product_not_found"
    assert response.json()["error"]["details"] == {"product_id": 777777777}
    assert stock_of(client, known) == 5


def test_reserve_after_failure_can_retry_same_order(client, create_product):
    product = create_product(stock=1)
    order_id = uuid.uuid4()
    reserve(client, order_id, [{"product_id": product["id"], "quantity": 2}])

    retry = reserve(client, order_id, [{"product_id": product["id"], "quantity": 1}])

    assert retry.status_code == 200
    assert stock_of(client, product) == 0


def test_reserve_twice_takes_stock_once(client, create_product):
    product = create_product(stock=10)
    order_id = uuid.uuid4()
    items = [{"product_id": product["id"], "quantity": 4}]

    first = reserve(client, order_id, items)
    second = reserve(client, order_id, items)

    assert first.status_code == 200
    assert second.status_code == 200
    assert second.json() == first.json()
    assert stock_of(client, product) == 6


def test_reserve_repeat_keeps_first_price(client, create_product):
    product = create_product(stock=10, price_cents=1000)
    order_id = uuid.uuid4()
    items = [{"product_id": product["id"], "quantity": 1}]
    reserve(client, order_id, items)
    client.patch(f"/products/{product['id']}", json={"price_cents": 5000}, headers=ADMIN_HEADERS)

    repeat = reserve(client, order_id, items)

    assert repeat.json()["items"][0]["unit_price_cents"] == 1000


def test_release_returns_stock_once(client, create_product):
    product = create_product(stock=10)
    order_id = uuid.uuid4()
    reserve(client, order_id, [{"product_id": product["id"], "quantity": 4}])

    first = client.post(f"/internal/reservations/{order_id}/release")
    second = client.post(f"/internal/reservations/{order_id}/release")

    assert first.status_code == 200
    assert first.json()["status"] == "released"
    assert first.json()["items"] == [
        {"product_id": product["id"], "quantity": 4, "unit_price_cents": 1999}
    ]
    assert second.status_code == 200
    assert second.json() == first.json()
    assert stock_of(client, product) == 10


def test_reserve_after_release_is_rejected(client, create_product):
    product = create_product(stock=10)
    order_id = uuid.uuid4()
    items = [{"product_id": product["id"], "quantity": 1}]
    reserve(client, order_id, items)
    client.post(f"/internal/reservations/{order_id}/release")

    response = reserve(client, order_id, items)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "reservation_released"
    assert stock_of(client, product) == 10


def test_release_before_reserve_leaves_tombstone(client, create_product):
    product = create_product(stock=10)
    order_id = uuid.uuid4()

    release = client.post(f"/internal/reservations/{order_id}/release")
    late = reserve(client, order_id, [{"product_id": product["id"], "quantity": 1}])

    assert release.status_code == 200
    assert release.json() == {"order_id": str(order_id), "status": "released", "items": []}
    assert late.status_code == 409
    assert late.json()["error"]["code"] == "reservation_released"
    assert stock_of(client, product) == 10


def test_read_reservation_returns_stored_items(client, create_product):
    product = create_product(stock=10)
    order_id = uuid.uuid4()
    created = reserve(client, order_id, [{"product_id": product["id"], "quantity": 2}])

    response = client.get(f"/internal/reservations/{order_id}")

    assert response.status_code == 200
    assert response.json() == created.json()


def test_read_reservation_not_found(client):
    response = client.get(f"/internal/reservations/{uuid.uuid4()}")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "reservation_not_found"


@pytest.mark.parametrize(
    ("items", "field"),
    [
        ([{"product_id": 1, "quantity": 1}, {"product_id": 1, "quantity": 2}], "items"),
        ([], "items"),
        ([{"product_id": n, "quantity": 1} for n in range(1, 102)], "items"),
        ([{"product_id": 1, "quantity": 0}], "items.0.quantity"),
        ([{"product_id": 1, "quantity": 1001}], "items.0.quantity"),
        ([{"product_id": 0, "quantity": 1}], "items.0.product_id"),
        ([{"product_id": 2**63, "quantity": 1}], "items.0.product_id"),
    ],
)
def test_reserve_rejects_invalid_items(client, items, field):
    response = reserve(client, uuid.uuid4(), items)

    assert response.status_code == 422
    assert error_fields(response) == {field}


def test_reserve_rejects_invalid_order_id(client):
    response = reserve(client, "not-a-uuid", [{"product_id": 1, "quantity": 1}])

    assert response.status_code == 422
    assert error_fields(response) == {"order_id"}


async def reserve_concurrently(base_url: str, product_id: int, orders: int) -> list[int]:
    limits = httpx.Limits(max_connections=orders)
    async with httpx.AsyncClient(base_url=base_url, timeout=30.0, limits=limits) as http:
        responses = await asyncio.gather(
            *(
                http.post(
                    "/internal/reservations",
                    json={
                        "order_id": str(uuid.uuid4()),
                        "items": [{"product_id": product_id, "quantity": 1}],
                    },
                )
                for _ in range(orders)
            )
        )
    return [response.status_code for response in responses]


def test_reserve_concurrent_orders_never_oversell(client, create_product, product_service):
    product = create_product(stock=50)

    statuses = asyncio.run(reserve_concurrently(product_service.url, product["id"], 200))

    assert statuses.count(200) == 50
    assert statuses.count(409) == 150
    assert stock_of(client, product) == 0
