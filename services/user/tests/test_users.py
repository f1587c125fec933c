"""Registration, login, tokens and the caller's profile."""

import time
import uuid

import jwt
import pytest
from devstack.pytest_plugin import TEST_JWT_SECRET
from user_testing import PASSWORD, error_fields, unique_email


def login(client, email: str, password: str = PASSWORD):
    return client.post("/auth/token", json={"email": email, "password": password})


def decode(token: str) -> dict:
    return jwt.decode(
        token,
        TEST_JWT_SECRET,
        algorithms=["HS256"],
        audience="shop",
        issuer="shop-user-service",
    )


def test_create_user_returns_profile(client):
    email = unique_email()

    response = client.post(
        "/users", json={"email": email, "password": PASSWORD, "name": "Grace Hopper"}
    )

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "email", "name", "role", "created_at"}
    assert body["email"] == email
    assert body["name"] == "Grace Hopper"
    assert body["role"] == "customer"
    assert uuid.UUID(body["id"])


def test_create_user_normalises_email_domain(register):
    local = f"Mixed.Case-{uuid.uuid4().hex[:6]}"

    user = register(email=f"{local}@Example.COM")

    assert user["email"] == f"{local}@example.com"


def test_create_user_email_taken_in_other_case(client, register):
    user = register()

    response = client.post(
        "/users", json={"email": user["email"].upper(), "password": PASSWORD, "name": "Copy"}
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "email_taken"
    assert response.json()["error"]["details"] == {"field": "email"}


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": "a@b"}, "email"),
        ({"password": "short7!"}, "password"),
        ({"password": "x" * 129}, "password"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "n" * 101}, "name"),
        ({"role": "admin"}, "role"),
    ],
)
def test_create_user_rejects_invalid_body(client, override, field):
    body = {"email": unique_email(), "password": PASSWORD, "name": "Ada", **override}

    response = client.post("/users", json=body)

    assert response.status_code == 422
    assert error_fields(response) == {field}


@pytest.mark.parametrize("missing", ["email", "password", "name"])
def test_create_user_rejects_missing_field(client, missing):
    body = {"email": unique_email(), "password": PASSWORD, "name": "Ada"}
    body.pop(missing)

    response = client.post("/users", json=body)

    assert response.status_code == 422
    assert error_fields(response) == {missing}


def test_create_token_issues_hs256_jwt(client, register):
    user = register()

    response = login(client, user["email"])

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 900
    assert jwt.get_unverified_header(body["access_token"])["alg"] == "HS256"
    claims = decode(body["access_token"])
    assert claims["sub"] == user["id"]
    assert claims["role"] == "customer"
    assert claims["iss"] == "shop-user-service"
    assert claims["aud"] == "shop"
    assert claims["exp"] - claims["iat"] == 900
    assert abs(claims["iat"] - time.time()) < 60


def test_create_token_accepts_email_in_other_case(client, register):
    user = register()

    response = login(client, user["email"].upper())

    assert response.status_code == 200


def test_create_token_failures_look_alike(client, register):
    user = register()

    wrong_password = login(client, user["email"], "Wrong-password-123")
    unknown_email = login(client, unique_email())

    assert wrong_password.status_code == 401
    assert unknown_email.status_code == 401
    assert wrong_password.json() == unknown_email.json()
    assert wrong_password.json()["error"]["code"] == "invalid_credentials"


def test_read_current_user_returns_profile(client, register):
    user = register()

    response = client.get("/users/me", headers={"X-User-ID": user["id"]})

    assert response.status_code == 200
    assert response.json() == user


def test_read_current_user_requires_user_id(client):
    response = client.get("/users/me")

    assert response.status_code == 401


def test_read_current_user_deleted(client, postgres, database_url, register):
    user = register()
    postgres.psql(f"DELETE FROM users WHERE id = '{user['id']}'", database_url.rsplit("/", 1)[-1])

    response = client.get("/users/me", headers={"X-User-ID": user["id"]})

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "user_not_found"


def test_password_never_in_responses_or_logs(client, user_service, register):
    user = register()
    responses = [
        client.post("/users", json={"email": user["email"], "password": PASSWORD, "name": "x"}),
        login(client, user["email"]),
        login(client, user["email"], PASSWORD + "-wrong"),
        client.post("/users", json={"email": "bad", "password": PASSWORD, "name": "x"}),
        client.get("/users/me", headers={"X-User-ID": user["id"]}),
    ]
    logs = user_service.logs()

    for response in responses:
        assert PASSWORD not in response.text
        assert "$argon2" not in response.text
    assert PASSWORD not in logs
    assert "$argon2" not in logs
