"""Attacks on the running stack: oversized bodies, SQL injection, forged tokens, authorisation."""

import base64
import hashlib
import hmac
import json
import socket
import time
import uuid
from urllib.parse import quote, urlsplit

import httpx
import jwt
import pytest
from security_testing import database_snapshot, register

MAX_BODY_BYTES = 65536
DATABASE_ERROR_TEXT = ("syntax error", "asyncpg", "sqlstate", "relation", "postgres", "psql")
INJECTIONS = [
    "' OR '1'='1",
    "'; DROP TABLE products; --",
    "1; SELECT pg_sleep(5)--",
    '" OR ""="',
    "' UNION SELECT password_hash FROM users --",
    "%' AND 1=1 --",
    "\\'; TRUNCATE orders; --",
    "$1) OR 1=1 --",
]


def _assert_no_database_error(response) -> None:
    assert response.status_code < 500, response.text
    text = response.text.lower()
    for marker in DATABASE_ERROR_TEXT:
        assert marker not in text, f"{marker!r} in {response.text[:300]}"


def _raw_request(url: str, head: bytes, chunks: list[bytes], timeout: float) -> bytes:
    """Send a request head and body chunks on a raw socket, never finishing the body."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        sock.sendall(head)
        for chunk in chunks:
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
        received = b""
        while b"\r\n\r\n" not in received:
            data = sock.recv(65536)
            if not data:
                break
            received += data
        return received


def _chunked_upload_head(path: str, host: str) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    ).encode()


def _chunk(size: int) -> bytes:
    return f"{size:x}\r\n".encode() + b" " * size + b"\r\n"


@pytest.fixture(params=["gateway", "user"])
def upload_target(request, stack) -> tuple[str, str]:
    if request.param == "gateway":
        return stack.gateway_url, "/api/v1/users"
    return stack.services["user"].url, "/users"


def test_body_over_limit_by_length_413(gateway):
    response = gateway.post(
        "/users",
        content=b"{" + b" " * MAX_BODY_BYTES + b"}",
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_body_over_limit_declared_only_413(upload_target):
    """A Content-Length over the limit gets 413 before a single body byte is sent."""
    base, path = upload_target
    host = urlsplit(base).netloc
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {10 * MAX_BODY_BYTES}\r\n\r\n"
    ).encode()

    started = time.monotonic()
    reply = _raw_request(base, head, [], timeout=5.0)

    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
    assert time.monotonic() - started < 2.0


def test_chunked_body_never_ending_413(upload_target):
    """A chunked body past the limit gets 413 although the client never ends it."""
    base, path = upload_target
    chunks = [_chunk(8192) for _ in range(MAX_BODY_BYTES // 8192 + 2)]

    started = time.monotonic()
    reply = _raw_request(base, _chunked_upload_head(path, urlsplit(base).netloc), chunks, 5.0)

    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
    assert time.monotonic() - started < 3.0


@pytest.mark.parametrize("text", INJECTIONS)
def test_sql_injection_in_user_fields(stack, gateway, text):
    email = f"{uuid.uuid4().hex[:8]}@example.com"
    before = database_snapshot(stack)

    responses = [
        gateway.post("/users", json={"email": text, "password": "long-enough-1", "name": "N"}),
        gateway.post("/auth/token", json={"email": text, "password": text or "x"}),
        gateway.post("/auth/token", json={"email": email, "password": text}),
        gateway.post("/users", json={"email": email, "password": text + "-pad", "name": text}),
    ]

    for response in responses:
        _assert_no_database_error(response)
    assert responses[3].status_code == 201, responses[3].text
    assert responses[3].json()["name"] == text
    assert database_snapshot(stack)["users"] == before["users"] + 1


@pytest.mark.parametrize("text", INJECTIONS)
def test_sql_injection_in_product_queries(stack, gateway, text):
    before = database_snapshot(stack)

    search = gateway.get("/products", params={"q": text})
    category = gateway.get("/products", params={"category": text})
    by_id = gateway.get(f"/products/{quote(text, safe='')}")

    for response in (search, category, by_id):
        _assert_no_database_error(response)
    assert search.json()["total"] == 0
    assert category.json()["items"] == []
    assert by_id.status_code in (404, 422)
    assert database_snapshot(stack) == before


@pytest.mark.parametrize("text", INJECTIONS)
def test_sql_injection_in_product_writes(stack, gateway, admin, text):
    body = {
        "sku": f"SQLI-{uuid.uuid4().hex[:8]}",
        "name": text,
        "description": text,
        "category": text[:50],
        "price_cents": 1,
        "stock": 0,
    }

    created = gateway.post("/products", json=body, headers=admin.headers)
    assert created.status_code == 201, created.text
    bad_sku = gateway.post("/products", json={**body, "sku": text}, headers=admin.headers)
    patched = gateway.patch(
        f"/products/{created.json()['id']}", json={"name": text + "!"}, headers=admin.headers
    )

    for response in (created, bad_sku, patched):
        _assert_no_database_error(response)
    assert created.json()["name"] == text
    assert patched.json()["name"] == text + "!"
    assert database_snapshot(stack)["products"] >= 50


@pytest.mark.parametrize("text", INJECTIONS)
def test_sql_injection_in_order_inputs(stack, gateway, customer, stocked_product, text):
    before = database_snapshot(stack)
    key = "".join(char for char in text if "!" <= char <= "~")

    placed = gateway.post(
        "/orders",
        json={"items": [{"product_id": stocked_product, "quantity": 1}]},
        headers={**customer.headers, "Idempotency-Key": key + uuid.uuid4().hex},
    )
    by_id = gateway.get(f"/orders/{quote(text, safe='')}", headers=customer.headers)
    cancel = gateway.post(f"/orders/{quote(text, safe='')}/cancel", headers=customer.headers)
    listed = gateway.get(
        "/orders", params={"limit": text, "offset": text}, headers=customer.headers
    )

    for response in (placed, by_id, cancel, listed):
        _assert_no_database_error(response)
    assert placed.status_code == 201, placed.text
    assert database_snapshot(stack)["orders"] == before["orders"] + 1


def test_tables_intact_after_injections(stack):
    tables = {
        "shop_user": "users",
        "shop_product": "products,reservations,reservation_items",
        "shop_order": "orders,order_items",
    }
    for database, names in tables.items():
        for name in names.split(","):
            found = stack.postgres.psql(f"SELECT to_regclass('{name}') IS NOT NULL", database)
            assert found.strip() == "t", f"{database}.{name} is missing"
    assert database_snapshot(stack)["products"] >= 50


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _sign(header: dict, claims: dict, secret: bytes, digest) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(secret, signing_input.encode(), digest).digest()
    return f"{signing_input}.{_b64(signature)}"


def _claims(account) -> dict:
    now = int(time.time())
    return {
        "sub": account.id,
        "role": "admin",
        "iat": now,
        "exp": now + 600,
        "iss": "shop-user-service",
        "aud": "shop",
    }


def test_token_rs256_header_hmac_signed_401(stack, gateway, customer):
    """Algorithm confusion: an RS256 header over an HMAC of the shared secret."""
    token = _sign(
        {"alg": "RS256", "typ": "JWT"}, _claims(customer), stack.jwt_secret.encode(), hashlib.sha256
    )

    response = gateway.get("/users/me", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 401


def test_token_hs384_with_right_secret_401(stack, gateway, customer):
    token = _sign(
        {"alg": "HS384", "typ": "JWT"}, _claims(customer), stack.jwt_secret.encode(), hashlib.sha384
    )

    response = gateway.get("/users/me", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 401


def test_token_embedded_jwk_401(gateway, customer):
    """A header that carries its own key (CVE-2018-0114 style) is not trusted."""
    attacker_key = b"attacker-key-0123456789abcdef0123456789"
    header = {"alg": "HS256", "typ": "JWT", "jwk": {"kty": "oct", "k": _b64(attacker_key)}}
    token = _sign(header, _claims(customer), attacker_key, hashlib.sha256)

    response = gateway.get("/users/me", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 401


def test_token_role_upgraded_by_resigning_401(gateway, customer):
    """A customer's token re-signed as admin with a guessed key is rejected."""
    claims = jwt.decode(customer.token, options={"verify_signature": False})
    forged = jwt.encode({**claims, "role": "admin"}, "secret" * 6, algorithm="HS256")

    response = gateway.post(
        "/products", json={"sku": "X"}, headers={"Authorization": f"Bearer {forged}"}
    )

    assert response.status_code == 401


def test_order_of_other_user_404(gateway, customer, stocked_product):
    other = register(gateway)
    placed = gateway.post(
        "/orders",
        json={"items": [{"product_id": stocked_product, "quantity": 1}]},
        headers={**other.headers, "Idempotency-Key": uuid.uuid4().hex},
    )
    order_id = placed.json()["id"]

    read = gateway.get(f"/orders/{order_id}", headers=customer.headers)
    cancel = gateway.post(f"/orders/{order_id}/cancel", headers=customer.headers)
    listed = gateway.get("/orders", headers=customer.headers)

    assert placed.status_code == 201, placed.text
    assert read.status_code == 404
    assert cancel.status_code == 404
    assert order_id not in [order["id"] for order in listed.json()["items"]]


def test_customer_cannot_update_product_403(stack, gateway, customer):
    before = stack.postgres.psql("SELECT * FROM products WHERE id = 3", "shop_product")

    response = gateway.patch("/products/3", json={"price_cents": 1}, headers=customer.headers)

    assert response.status_code == 403
    assert stack.postgres.psql("SELECT * FROM products WHERE id = 3", "shop_product") == before


def test_allow_header_lists_every_method(stack):
    """405 on a path with GET and POST routes must list both methods in Allow."""
    response = httpx.request("OPTIONS", f"{stack.services['product'].url}/products")

    assert response.status_code == 405
    assert set(response.headers["allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
