"""Deleted users: the user service revokes their tokens, and the gateway rejects them."""

import uuid

import httpx
import pytest
from gateway_testing import bearer

ME = "/api/v1/users/me"


def _register_and_login(client: httpx.Client) -> str:
    credentials = {"email": f"{uuid.uuid4().hex[:12]}@example.com", "password": "s3cret-pass-123"}
    created = client.post("/api/v1/users", json={**credentials, "name": "Leaving User"})
    assert created.status_code == 201, created.text
    token = client.post("/api/v1/auth/token", json=credentials)
    assert token.status_code == 200, token.text
    return token.json()["access_token"]


@pytest.fixture
def deleted_user_token(client) -> str:
    """A token whose user was deleted through DELETE /api/v1/users/me."""
    token = _register_and_login(client)
    assert client.get(ME, headers=bearer(token)).status_code == 200

    deleted = client.delete(ME, headers=bearer(token))

    assert deleted.status_code == 204, deleted.text
    assert deleted.content == b""
    return token


@pytest.mark.parametrize("path", [ME, "/api/v1/orders"])
def test_deleted_user_token_rejected(client, deleted_user_token, path):
    response = client.get(path, headers=bearer(deleted_user_token))

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"
    assert "deleted" in response.json()["error"]["message"]


def test_deleted_user_token_ignored_on_public_route(client, deleted_user_token):
    response = client.get("/api/v1/products", headers=bearer(deleted_user_token))

    assert response.status_code == 200


def test_other_user_token_still_accepted(client, deleted_user_token):
    token = _register_and_login(client)

    response = client.get(ME, headers=bearer(token))

    assert response.status_code == 200
