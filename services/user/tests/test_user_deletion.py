"""Account deletion: the row goes, and a revocation key makes the gateway reject its tokens."""

import httpx
import redis
from devstack.ports import free_port
from user_testing import PASSWORD, unique_email, user_env

TOKEN_TTL_SECONDS = 900


def _me(user_id: str) -> dict[str, str]:
    return {"X-User-ID": user_id}


def test_delete_current_user_removes_account(client, register):
    user = register()

    deleted = client.delete("/users/me", headers=_me(user["id"]))
    profile = client.get("/users/me", headers=_me(user["id"]))
    login = client.post("/auth/token", json={"email": user["email"], "password": PASSWORD})

    assert deleted.status_code == 204
    assert profile.status_code == 404
    assert login.status_code == 401


def test_delete_current_user_writes_revocation(client, register, redis_url):
    user = register()

    client.delete("/users/me", headers=_me(user["id"]))

    with redis.Redis.from_url(redis_url) as store:
        ttl = store.ttl(f"revoked-user:{user['id']}")
    # The token lifetime plus the margin for clock skew.
    assert TOKEN_TTL_SECONDS < ttl <= TOKEN_TTL_SECONDS + 60


def test_delete_current_user_twice_not_found(client, register):
    user = register()
    client.delete("/users/me", headers=_me(user["id"]))

    again = client.delete("/users/me", headers=_me(user["id"]))

    assert again.status_code == 404
    assert again.json()["error"]["code"] == "user_not_found"


def test_delete_current_user_without_identity_unauthorized(client):
    response = client.delete("/users/me")

    assert response.status_code == 401


def test_delete_current_user_redis_down_keeps_account(database_url, redis_url, start_service):
    unreachable = f"redis://127.0.0.1:{free_port()}/0"
    service = start_service(
        "user_service", user_env(database_url, redis_url, revocation_redis_url=unreachable)
    )
    with httpx.Client(base_url=service.url, timeout=10.0) as http:
        body = {"email": unique_email(), "password": PASSWORD, "name": "Kept"}
        created = http.post("/users", json=body).json()
        response = http.delete("/users/me", headers=_me(created["id"]))
        profile = http.get("/users/me", headers=_me(created["id"]))

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "revocation_unavailable"
    assert profile.status_code == 200
