"""Bad input through the gateway: each gets a 4xx naming the field, and nothing is written."""

import json
import uuid

import pytest
from security_testing import database_snapshot

ORDER_FIELD_CASES = [
    ({"items": [{"product_id": 1, "quantity": 0}]}, "items.0.quantity"),
    ({"items": [{"product_id": 1, "quantity": -1}]}, "items.0.quantity"),
    ({"items": [{"product_id": 1, "quantity": 2**63}]}, "items.0.quantity"),
    ({"items": [{"product_id": 1, "quantity": 10**100}]}, "items.0.quantity"),
    ({"items": [{"product_id": 1, "quantity": 1e308}]}, "items.0.quantity"),
    ({"items": [{"product_id": 1, "quantity": 1.5}]}, "items.0.quantity"),
    ({"items": [{"product_id": 1, "quantity": "1"}]}, "items.0.quantity"),
    ({"items": [{"product_id": 1, "quantity": True}]}, "items.0.quantity"),
    ({"items": [{"product_id": 2**63, "quantity": 1}]}, "items.0.product_id"),
    ({"items": [{"product_id": 1, "quantity": 1}, {"product_id": 1, "quantity": 2}]}, "items"),
    ({"items": "1"}, "items"),
    ({"items": []}, "items"),
]

PRODUCT_FIELD_CASES = [
    ({"stock": 2**63}, "stock"),
    ({"stock": 1e308}, "stock"),
    ({"price_cents": 10**100}, "price_cents"),
    ({"price_cents": -1}, "price_cents"),
    ({"stock": False}, "stock"),
    ({"price_cents": "100"}, "price_cents"),
    ({"name": "nul\x00byte"}, "name"),
    ({"description": "nul\x00byte"}, "description"),
    ({"category": "\ud800"}, "category"),
    ({"name": "x" * 10_000}, "name"),
    ({"sku": "\u202eRTL"}, "sku"),
]

USER_FIELD_CASES = [
    ({"name": "nul\x00byte"}, "name"),
    ({"name": "lone \udc00 surrogate"}, "name"),
    ({"password": "pass\x00word-long"}, "password"),
    ({"password": "\ud83d" * 10}, "password"),
    ({"email": "a\x00@example.com"}, "email"),
    ({"name": 12345}, "name"),
    ({"name": ["list"]}, "name"),
]


def _fields(response) -> set[str]:
    return {detail["field"] for detail in response.json()["error"]["details"]}


def _post_raw(gateway, path: str, body: dict, headers: dict | None = None):
    # json.dumps keeps lone surrogates as \ud800 escapes, which httpx's json= would reject.
    content = json.dumps(body).encode()
    return gateway.post(
        path, content=content, headers={"Content-Type": "application/json", **(headers or {})}
    )


def _order_headers(account) -> dict[str, str]:
    return {**account.headers, "Idempotency-Key": uuid.uuid4().hex}


@pytest.mark.parametrize(("body", "field"), ORDER_FIELD_CASES)
def test_create_order_bad_field_writes_nothing(stack, gateway, customer, body, field):
    before = database_snapshot(stack)

    response = _post_raw(gateway, "/orders", body, _order_headers(customer))

    assert response.status_code == 422, response.text
    assert field in _fields(response)
    assert database_snapshot(stack) == before


@pytest.mark.parametrize(("override", "field"), PRODUCT_FIELD_CASES)
def test_create_product_bad_field_writes_nothing(stack, gateway, admin, override, field):
    body = {
        "sku": f"BAD-{uuid.uuid4().hex[:8]}",
        "name": "Bad input probe",
        "category": "probe",
        "price_cents": 100,
        "stock": 1,
        **override,
    }
    before = database_snapshot(stack)

    response = _post_raw(gateway, "/products", body, admin.headers)

    assert response.status_code == 422, response.text
    assert _fields(response) == {field}
    assert database_snapshot(stack) == before


@pytest.mark.parametrize(("override", "field"), PRODUCT_FIELD_CASES)
def test_update_product_bad_field_changes_nothing(stack, gateway, admin, override, field):
    before = stack.postgres.psql("SELECT * FROM products WHERE id = 1", "shop_product")

    response = gateway.patch(
        "/products/1",
        content=json.dumps(override).encode(),
        headers={"Content-Type": "application/json", **admin.headers},
    )

    assert response.status_code == 422, response.text
    assert _fields(response) == {field}
    assert stack.postgres.psql("SELECT * FROM products WHERE id = 1", "shop_product") == before


@pytest.mark.parametrize(("override", "field"), USER_FIELD_CASES)
def test_create_user_bad_field_writes_nothing(stack, gateway, override, field):
    body = {
        "email": f"{uuid.uuid4().hex[:10]}@example.com",
        "password": "long-enough-1",
        "name": "N",
    }
    before = database_snapshot(stack)

    response = _post_raw(gateway, "/users", {**body, **override})

    assert response.status_code == 422, response.text
    assert _fields(response) == {field}
    assert database_snapshot(stack) == before


@pytest.mark.parametrize(
    "content",
    [b"{", b'{"items": [', b"not json", b"\xff\xfe\x00", b"", b"null", b"[]", b'"items"'],
    ids=["open-brace", "truncated", "text", "invalid-utf8", "empty", "null", "array", "string"],
)
def test_create_order_malformed_json_rejected(stack, gateway, customer, content):
    before = database_snapshot(stack)

    response = gateway.post(
        "/orders",
        content=content,
        headers={"Content-Type": "application/json", **_order_headers(customer)},
    )

    assert response.status_code in (400, 422), response.text
    assert response.json()["error"]["code"] in ("invalid_request", "validation_failed")
    assert database_snapshot(stack) == before


@pytest.mark.parametrize(
    "text",
    ["\u200b\u200fשלום\u202e", "emoji \U0001f600\U0001f9d1\u200d\U0001f4bb", "e\u0301"],
    ids=["zero-width-rtl", "4-byte-emoji", "combining"],
)
def test_unicode_text_stored_exactly(gateway, admin, text):
    body = {
        "sku": f"UNI-{uuid.uuid4().hex[:8]}",
        "name": text,
        "description": text * 3,
        "category": "unicode",
        "price_cents": 1,
        "stock": 0,
    }

    created = gateway.post("/products", json=body, headers=admin.headers)
    read = gateway.get(f"/products/{created.json()['id']}")

    assert created.status_code == 201, created.text
    assert read.json()["name"] == text
    assert read.json()["description"] == text * 3


@pytest.mark.parametrize("query", ["q=%00", "category=%00", "limit=1e308", "offset=-1"])
def test_list_products_bad_query_rejected(gateway, query):
    response = gateway.get(f"/products?{query}")

    assert response.status_code == 422, response.text


def test_list_orders_huge_offset_rejected(gateway, customer):
    response = gateway.get(f"/orders?offset={2**63}", headers=customer.headers)

    assert response.status_code == 422, response.text
    assert _fields(response) == {"offset"}
