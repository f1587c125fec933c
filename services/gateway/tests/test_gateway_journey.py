"""A customer's whole journey through the gateway, against the real services."""

import uuid

from gateway_testing import bearer, make_token

ADMIN = bearer(make_token(role="admin"))


def test_journey_register_to_cancel(client):
    marker = uuid.uuid4().hex[:10]
    credentials = {"email": f"journey-{marker}@example.com", "password": "journey-pass-123"}

    registered = client.post("/api/v1/users", json={**credentials, "name": "Journey"})
    duplicate = client.post("/api/v1/users", json={**credentials, "name": "Journey"})
    wrong_password = client.post(
        "/api/v1/auth/token", json={**credentials, "password": "wrong-password-1"}
    )
    login = client.post("/api/v1/auth/token", json=credentials)
    assert registered.status_code == 201, registered.text
    assert duplicate.status_code == 409
    assert wrong_password.status_code == 401
    assert login.status_code == 200, login.text
    user = bearer(login.json()["access_token"])

    me = client.get("/api/v1/users/me", headers=user)
    assert me.json()["id"] == registered.json()["id"]

    product = client.post(
        "/api/v1/products",
        headers=ADMIN,
        json={
            "sku": f"JOURNEY-{marker}",
            "name": f"Journey Lamp {marker}",
            "description": "A lamp bought in the journey test.",
            "category": "journey",
            "price_cents": 2500,
            "stock": 5,
        },
    )
    assert product.status_code == 201, product.text
    product_id = product.json()["id"]

    browse = client.get("/api/v1/products", params={"limit": 5})
    search = client.get("/api/v1/products", params={"q": marker})
    by_category = client.get("/api/v1/products", params={"category": "journey"})
    view = client.get(f"/api/v1/products/{product_id}")
    assert browse.status_code == 200
    assert browse.json()["limit"] == 5
    assert [item["id"] for item in search.json()["items"]] == [product_id]
    assert product_id in [item["id"] for item in by_category.json()["items"]]
    assert view.json()["stock"] == 5

    order_body = {"items": [{"product_id": product_id, "quantity": 2}]}
    key = {"Idempotency-Key": f"journey-{marker}"}
    placed = client.post("/api/v1/orders", json=order_body, headers={**user, **key})
    replayed = client.post("/api/v1/orders", json=order_body, headers={**user, **key})
    assert placed.status_code == 201, placed.text
    assert replayed.status_code in (200, 201), replayed.text
    order = placed.json()
    assert replayed.json()["id"] == order["id"]
    assert order["total_cents"] == 5000
    assert client.get(f"/api/v1/products/{product_id}").json()["stock"] == 3

    listed = client.get("/api/v1/orders", headers=user)
    read = client.get(f"/api/v1/orders/{order['id']}", headers=user)
    stranger = client.get(f"/api/v1/orders/{order['id']}", headers=bearer(make_token()))
    assert [item["id"] for item in listed.json()["items"]] == [order["id"]]
    assert read.json()["status"] == order["status"]
    assert stranger.status_code == 404

    cancelled = client.post(f"/api/v1/orders/{order['id']}/cancel", headers=user)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert client.get(f"/api/v1/products/{product_id}").json()["stock"] == 5


def test_head_returns_headers_without_body(client):
    full = client.get("/api/v1/products?limit=2")
    head = client.head("/api/v1/products?limit=2")

    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == str(len(full.content))
    assert head.headers["content-type"] == full.headers["content-type"]
