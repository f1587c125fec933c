"""Access tokens: HS256 JWTs that the gateway verifies with the same secret."""

import time
from uuid import UUID

import jwt

ALGORITHM = "HS256"
ISSUER = "shop-user-service"
AUDIENCE = "shop"


def issue_access_token(*, user_id: UUID, role: str, secret: str, ttl_seconds: int) -> str:
    issued_at = int(time.time())
    claims = {
        "sub": str(user_id),
        "role": role,
        "iat": issued_at,
        "exp": issued_at + ttl_seconds,
        "iss": ISSUER,
        "aud": AUDIENCE,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)
