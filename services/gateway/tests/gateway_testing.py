"""Helpers for the gateway tests: tokens, environments and unused addresses."""

import base64
import json
import time
import uuid

import jwt
from devstack.ports import free_port
from devstack.pytest_plugin import TEST_JWT_SECRET, next_redis_url, service_env

ISSUER = "shop-user-service"
AUDIENCE = "shop"


def make_token(*, secret: str = TEST_JWT_SECRET, algorithm: str = "HS256", **claims) -> str:
    """Sign an access token like the user service's; keyword arguments override claims."""
    now = int(time.time())
    payload = {
        "sub": str(uuid.uuid4()),
        "role": "customer",
        "iat": now,
        "exp": now + 600,
        "iss": ISSUER,
        "aud": AUDIENCE,
        **claims,
    }
    payload = {key: value for key, value in payload.items() if value is not None}
    return jwt.encode(payload, secret, algorithm=algorithm)


def forge_token(header: dict, *, signature: bytes = b"") -> str:
    """Build a token with any header over valid claims, signed with the given bytes."""
    _, payload, _ = make_token().split(".")
    return f"{_b64(json.dumps(header).encode())}.{payload}.{_b64(signature)}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def unused_url() -> str:
    """Return a loopback URL where nothing listens, so connections are refused."""
    return f"http://127.0.0.1:{free_port()}"


def gateway_env(
    redis_url: str,
    *,
    user: str | None = None,
    product: str | None = None,
    order: str | None = None,
    **extra: str,
) -> dict[str, str]:
    return service_env(
        "gateway",
        user_service_url=user or unused_url(),
        product_service_url=product or unused_url(),
        order_service_url=order or unused_url(),
        jwt_secret=TEST_JWT_SECRET,
        redis_url=redis_url,
        **extra,
    )


def product_env(postgres, redis_server, database: str = "gateway_product") -> dict[str, str]:
    return service_env(
        "product",
        database_url=postgres.create_database(database, recreate=True),
        redis_url=next_redis_url(redis_server),
    )
