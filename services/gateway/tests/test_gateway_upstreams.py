"""Proxying to real services: identity headers, request ids, and unreachable or slow services."""

import os
import signal
import time
import uuid

import httpx
import pytest
from devstack.ports import free_port
from devstack.pytest_plugin import next_redis_url
from gateway_testing import bearer, gateway_env, make_token, product_env

ADMIN = bearer(make_token(role="admin"))


def _register(client: httpx.Client) -> tuple[dict, str]:
    """Register a user through the gateway; return its profile and an access token."""
    credentials = {"email": f"{uuid.uuid4().hex[:12]}@example.com", "password": "s3cret-pass-123"}
    created = client.post("/api/v1/users", json={**credentials, "name": "Test User"})
    assert created.status_code == 201, created.text
    token = client.post("/api/v1/auth/token", json=credentials)
    assert token.status_code == 200, token.text
    return created.json(), token.json()["access_token"]


def _logged(process, text: str, timeout: float = 5.0) -> bool:
    """Poll the process's log for text; the access line is written after the response."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in process.logs():
            return True
        time.sleep(0.05)
    return False


def test_spoofed_user_id_without_token_rejected(client):
    profile, _ = _register(client)

    response = client.get("/api/v1/users/me", headers={"X-User-ID": profile["id"]})

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "missing_token"


def test_spoofed_user_id_with_token_ignored(client):
    user_a, token_a = _register(client)
    user_b, _ = _register(client)
    spoofed = {**bearer(token_a), "X-User-ID": user_b["id"], "X-User-Role": "admin"}

    response = client.get("/api/v1/users/me", headers=spoofed)

    assert response.status_code == 200
    assert response.json()["id"] == user_a["id"]


def test_spoofed_admin_role_on_public_route_stripped(client):
    body = {
        "sku": f"SPOOF-{uuid.uuid4().hex[:8]}",
        "name": "Spoof",
        "description": "x",
        "category": "test",
        "price_cents": 100,
        "stock": 1,
    }
    spoofed = {"X-User-ID": str(uuid.uuid4()), "X-User-Role": "admin"}

    response = client.post("/api/v1/products", json=body, headers=spoofed)

    assert response.status_code == 401


def test_customer_token_cannot_create_product(client):
    body = {
        "sku": f"CUST-{uuid.uuid4().hex[:8]}",
        "name": "No",
        "description": "x",
        "category": "test",
        "price_cents": 100,
        "stock": 1,
    }

    response = client.post("/api/v1/products", json=body, headers=bearer(make_token()))

    assert response.status_code == 403


def test_request_id_forwarded_and_echoed(client, backend):
    request_id = f"gateway-test-{uuid.uuid4().hex}"

    response = client.get("/api/v1/products", headers={"X-Request-ID": request_id})

    assert response.status_code == 200
    assert response.headers["x-request-id"] == request_id
    assert _logged(backend.product, request_id)


def test_request_id_generated_when_missing(client, backend):
    response = client.get("/api/v1/products")
    request_id = response.headers["x-request-id"]

    assert len(response.headers.get_list("x-request-id")) == 1
    assert _logged(backend.product, request_id)


def test_ratelimit_headers_on_success(client):
    response = client.get("/api/v1/products", headers=bearer(make_token()))

    assert response.status_code == 200
    assert int(response.headers["ratelimit-remaining"]) >= 0


def test_upstream_4xx_passed_through(client):
    response = client.get("/api/v1/products/999999999")

    assert response.status_code == 404
    assert response.json()["error"]["code"] != "bad_gateway"


def test_upstream_down_returns_503(lone_client):
    response = lone_client.get("/api/v1/products")
    error = response.json()["error"]

    assert response.status_code == 503
    assert error["code"] == "upstream_unavailable"
    assert error["details"] == {"service": "product"}
    assert "127.0.0.1" not in response.text


def test_redis_down_requests_pass(backend, start_service):
    env = gateway_env(f"redis://127.0.0.1:{free_port()}/0", product=backend.product.url)
    gateway = start_service("gateway_service", env)

    with httpx.Client(base_url=gateway.url, timeout=10.0) as http:
        statuses = [http.get("/api/v1/products").status_code for _ in range(3)]

    assert statuses == [200, 200, 200]


def test_upstream_paused_returns_504(postgres, redis_server, start_service):
    product = start_service(
        "product_service", product_env(postgres, redis_server, "gateway_paused")
    )
    env = gateway_env(
        next_redis_url(redis_server), product=product.url, upstream_timeout_seconds="1"
    )
    gateway = start_service("gateway_service", env)

    with httpx.Client(base_url=gateway.url, timeout=10.0) as http:
        assert http.get("/api/v1/products").status_code == 200
        os.kill(product.process.pid, signal.SIGSTOP)
        try:
            started = time.monotonic()
            response = http.get("/api/v1/products")
            elapsed = time.monotonic() - started
        finally:
            os.kill(product.process.pid, signal.SIGCONT)
        recovered = http.get("/api/v1/products")

    assert response.status_code == 504
    assert response.json()["error"]["code"] == "upstream_timeout"
    assert response.json()["error"]["details"] == {"service": "product"}
    assert 0.9 <= elapsed < 3.0
    assert recovered.status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/internal/reservations",
        "/api/v1/internal/reservations",
        "/api/v1/products/..%2Finternal%2Freservations",
        "/api/v1/products/%2E%2E",
    ],
)
def test_internal_paths_not_reachable(client, path):
    response = client.post(path, json={"order_id": str(uuid.uuid4()), "items": []})

    assert response.status_code in (404, 405)
    assert response.json()["error"]["code"] in ("not_found", "method_not_allowed")


def test_internal_get_not_reachable(client):
    response = client.get(f"/internal/reservations/{uuid.uuid4()}")

    assert response.status_code == 404
