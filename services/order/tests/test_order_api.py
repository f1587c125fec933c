"""The order API end to end: order service and product service processes over HTTP."""

import uuid

import pytest
from order_testkit import (
    Stack,
    confirmed_quantity,
    create_product,
    new_key,
    order_body,
    read_stock,
    user_headers,
)


def place(stack: Stack, body: dict, *, user_id: str | None = None, key: str | None = None):
    headers = user_headers(user_id, key=key or new_key())
    return stack.client.post(f"{stack.order.url}/orders", json=body, headers=headers)


def test_create_order_confirmed_with_product_prices(stack: Stack) -> None:
    first = create_product(stack.product.url, stock=10, price_cents=1250)
    second = create_product(stack.product.url, stock=10, price_cents=399)

    response = place(stack, order_body((first, 2), (second, 3)))

    assert response.status_code == 201, response.text
    order = response.json()
    assert order["status"] == "confirmed"
    assert order["total_cents"] == 2 * 1250 + 3 * 399
    assert sorted(item["unit_price_cents"] for item in order["items"]) == [399, 1250]
    assert read_stock(stack.product.url, first) == 8
    assert read_stock(stack.product.url, second) == 7


def test_list_orders_newest_first(stack: Stack) -> None:
    product_id = create_product(stack.product.url, stock=10)
    user_id = str(uuid.uuid4())
    ids = [
        place(stack, order_body((product_id, 1)), user_id=user_id).json()["id"] for _ in range(3)
    ]

    response = stack.client.get(
        f"{stack.order.url}/orders", params={"limit": 2}, headers=user_headers(user_id)
    )

    assert response.status_code == 200
    page = response.json()
    assert page["total"] == 3
    assert page["limit"] == 2
    assert page["offset"] == 0
    assert [order["id"] for order in page["items"]] == [ids[2], ids[1]]


def test_list_orders_second_page(stack: Stack) -> None:
    product_id = create_product(stack.product.url, stock=10)
    user_id = str(uuid.uuid4())
    ids = [
        place(stack, order_body((product_id, 1)), user_id=user_id).json()["id"] for _ in range(3)
    ]

    response = stack.client.get(
        f"{stack.order.url}/orders",
        params={"limit": 2, "offset": 2},
        headers=user_headers(user_id),
    )

    assert [order["id"] for order in response.json()["items"]] == [ids[0]]


def test_list_orders_excludes_other_users(stack: Stack) -> None:
    product_id = create_product(stack.product.url, stock=10)
    place(stack, order_body((product_id, 1)))

    response = stack.client.get(f"{stack.order.url}/orders", headers=user_headers())

    assert response.json()["total"] == 0


def test_read_order_own(stack: Stack) -> None:
    product_id = create_product(stack.product.url, stock=10)
    user_id = str(uuid.uuid4())
    created = place(stack, order_body((product_id, 1)), user_id=user_id).json()

    response = stack.client.get(
        f"{stack.order.url}/orders/{created['id']}", headers=user_headers(user_id)
    )

    assert response.status_code == 200
    assert response.json() == created


def test_read_order_of_other_user_not_found(stack: Stack) -> None:
    product_id = create_product(stack.product.url, stock=10)
    created = place(stack, order_body((product_id, 1))).json()

    response = stack.client.get(f"{stack.order.url}/orders/{created['id']}", headers=user_headers())

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "order_not_found"


def test_read_order_unknown_not_found(stack: Stack) -> None:
    response = stack.client.get(f"{stack.order.url}/orders/{uuid.uuid4()}", headers=user_headers())

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "order_not_found"


def test_read_order_invalid_uuid(stack: Stack) -> None:
    response = stack.client.get(f"{stack.order.url}/orders/not-a-uuid", headers=user_headers())

    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "order_id"


def test_create_order_without_user_unauthorized(stack: Stack) -> None:
    response = stack.client.post(
        f"{stack.order.url}/orders", json=order_body((1, 1)), headers={"Idempotency-Key": new_key()}
    )

    assert response.status_code == 401


def test_create_order_out_of_stock(stack: Stack) -> None:
    plenty = create_product(stack.product.url, stock=10)
    scarce = create_product(stack.product.url, stock=2)

    response = place(stack, order_body((plenty, 1), (scarce, 3)))

    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["code"] == "insufficient_stock"
    assert error["details"]["product_id"] == scarce
    assert read_stock(stack.product.url, scarce) == 2
    assert read_stock(stack.product.url, plenty) == 10


def test_create_order_out_of_stock_stored_as_rejected(stack: Stack) -> None:
    product_id = create_product(stack.product.url, stock=1)
    user_id = str(uuid.uuid4())
    place(stack, order_body((product_id, 2)), user_id=user_id)

    listed = stack.client.get(f"{stack.order.url}/orders", headers=user_headers(user_id)).json()

    assert listed["items"][0]["status"] == "rejected"
    assert listed["items"][0]["error"]["code"] == "insufficient_stock"


def test_create_order_unknown_product(stack: Stack) -> None:
    known = create_product(stack.product.url, stock=10)

    response = place(stack, order_body((known, 1), (2**53 - 1, 1)))

    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "product_not_found"
    assert read_stock(stack.product.url, known) == 10


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"items": []}, "items"),
        ({}, "items"),
        (order_body((1, 0)), "items.0.quantity"),
        (order_body((1, -1)), "items.0.quantity"),
        (order_body((1, 1001)), "items.0.quantity"),
        (order_body((1, 10**30)), "items.0.quantity"),
        (order_body((0, 1)), "items.0.product_id"),
        (order_body((-5, 1)), "items.0.product_id"),
        (order_body((2**63, 1)), "items.0.product_id"),
        (order_body((10**40, 1)), "items.0.product_id"),
        ({"items": [{"product_id": "7", "quantity": 1}]}, "items.0.product_id"),
        ({"items": [{"product_id": 7, "quantity": 1.5}]}, "items.0.quantity"),
        ({"items": [{"product_id": 7}]}, "items.0.quantity"),
        (order_body((7, 1), (8, 1), (7, 2)), "items"),
        ({"items": [{"product_id": 7, "quantity": 1, "price_cents": 1}]}, "items.0.price_cents"),
        ({**order_body((7, 1)), "coupon": "FREE"}, "coupon"),
        (order_body(*((pid, 1) for pid in range(1, 102))), "items"),
    ],
)
def test_create_order_invalid_body(stack: Stack, body: dict, field: str) -> None:
    response = place(stack, body)

    assert response.status_code == 422, response.text
    assert field in [detail["field"] for detail in response.json()["error"]["details"]]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Idempotency-Key": ""},
        {"Idempotency-Key": "has space"},
        {"Idempotency-Key": "k" * 256},
    ],
    ids=["missing", "empty", "space", "too-long"],
)
def test_create_order_invalid_idempotency_key(stack: Stack, headers: dict) -> None:
    response = stack.client.post(
        f"{stack.order.url}/orders",
        json=order_body((1, 1)),
        headers={"X-User-ID": str(uuid.uuid4()), **headers},
    )

    assert response.status_code == 422, response.text
    fields = [detail["field"] for detail in response.json()["error"]["details"]]
    assert fields == ["Idempotency-Key"]


def test_create_order_replay_returns_same_order(stack: Stack) -> None:
    product_id = create_product(stack.product.url, stock=10)
    user_id, key = str(uuid.uuid4()), new_key()
    first = place(stack, order_body((product_id, 2)), user_id=user_id, key=key)

    replay = place(stack, order_body((product_id, 2)), user_id=user_id, key=key)

    assert replay.status_code == 201
    assert replay.json() == first.json()
    assert read_stock(stack.product.url, product_id) == 8


def test_create_order_replay_of_rejection_same_error(stack: Stack) -> None:
    product_id = create_product(stack.product.url, stock=1)
    user_id, key = str(uuid.uuid4()), new_key()
    first = place(stack, order_body((product_id, 2)), user_id=user_id, key=key)

    replay = place(stack, order_body((product_id, 2)), user_id=user_id, key=key)

    assert replay.status_code == first.status_code == 409
    assert replay.json() == first.json()


def test_create_order_key_of_other_user_is_separate(stack: Stack) -> None:
    product_id = create_product(stack.product.url, stock=10)
    key = new_key()
    first = place(stack, order_body((product_id, 1)), key=key)

    second = place(stack, order_body((product_id, 1)), key=key)

    assert second.status_code == 201
    assert second.json()["id"] != first.json()["id"]


def test_create_order_key_reused_with_other_body(stack: Stack) -> None:
    product_id = create_product(stack.product.url, stock=10)
    user_id, key = str(uuid.uuid4()), new_key()
    place(stack, order_body((product_id, 1)), user_id=user_id, key=key)

    response = place(stack, order_body((product_id, 2)), user_id=user_id, key=key)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert read_stock(stack.product.url, product_id) == 9


def test_create_order_item_order_does_not_change_hash(stack: Stack) -> None:
    first_product = create_product(stack.product.url, stock=10)
    second_product = create_product(stack.product.url, stock=10)
    user_id, key = str(uuid.uuid4()), new_key()
    first = place(
        stack, order_body((first_product, 1), (second_product, 2)), user_id=user_id, key=key
    )

    replay = place(
        stack, order_body((second_product, 2), (first_product, 1)), user_id=user_id, key=key
    )

    assert replay.status_code == 201
    assert replay.json()["id"] == first.json()["id"]


def test_cancel_order_returns_stock(stack: Stack) -> None:
    product_id = create_product(stack.product.url, stock=10)
    user_id = str(uuid.uuid4())
    created = place(stack, order_body((product_id, 4)), user_id=user_id).json()

    response = stack.client.post(
        f"{stack.order.url}/orders/{created['id']}/cancel", headers=user_headers(user_id)
    )

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    assert read_stock(stack.product.url, product_id) == 10


def test_cancel_order_twice_is_harmless(stack: Stack) -> None:
    product_id = create_product(stack.product.url, stock=10)
    user_id = str(uuid.uuid4())
    created = place(stack, order_body((product_id, 4)), user_id=user_id).json()
    url = f"{stack.order.url}/orders/{created['id']}/cancel"
    stack.client.post(url, headers=user_headers(user_id))

    response = stack.client.post(url, headers=user_headers(user_id))

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert read_stock(stack.product.url, product_id) == 10


def test_cancel_order_rejected_not_cancellable(stack: Stack) -> None:
    product_id = create_product(stack.product.url, stock=1)
    user_id = str(uuid.uuid4())
    place(stack, order_body((product_id, 5)), user_id=user_id)
    order_id = stack.client.get(f"{stack.order.url}/orders", headers=user_headers(user_id)).json()[
        "items"
    ][0]["id"]

    response = stack.client.post(
        f"{stack.order.url}/orders/{order_id}/cancel", headers=user_headers(user_id)
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "order_not_cancellable"
    assert response.json()["error"]["details"]["status"] == "rejected"


def test_cancel_order_of_other_user_not_found(stack: Stack) -> None:
    product_id = create_product(stack.product.url, stock=10)
    created = place(stack, order_body((product_id, 1))).json()

    response = stack.client.post(
        f"{stack.order.url}/orders/{created['id']}/cancel", headers=user_headers()
    )

    assert response.status_code == 404
    assert read_stock(stack.product.url, product_id) == 9


def test_stock_reconciles_after_mixed_orders(stack: Stack) -> None:
    seeded = 20
    product_id = create_product(stack.product.url, stock=seeded)
    user_id = str(uuid.uuid4())
    created = [place(stack, order_body((product_id, 3)), user_id=user_id).json() for _ in range(5)]
    place(stack, order_body((product_id, 50)), user_id=user_id)
    stack.client.post(
        f"{stack.order.url}/orders/{created[0]['id']}/cancel", headers=user_headers(user_id)
    )

    reserved_units = confirmed_quantity(stack.postgres, stack.order_database, product_id)

    assert reserved_units == 12
    assert read_stock(stack.product.url, product_id) + reserved_units == seeded


def test_metrics_count_orders_by_outcome(stack: Stack) -> None:
    product_id = create_product(stack.product.url, stock=1)
    place(stack, order_body((product_id, 1)))
    place(stack, order_body((product_id, 1)))

    metrics = stack.client.get(f"{stack.order.url}/metrics").text

    assert 'orders_total{outcome="confirmed"}' in metrics
    assert 'orders_total{outcome="rejected"}' in metrics
