"""Revoking a deleted user's access tokens, through a Redis key the gateway checks.

Access tokens are stateless JWTs, so deleting the account does not stop them. The gateway
rejects every token of a user while `revoked-user:<id>` exists. The key lives as long as
the longest token issued before the deletion could: the token lifetime plus a margin for
clock skew between this service, Redis and the gateway.
"""

import logging
from uuid import UUID

from redis.asyncio import Redis
from redis.exceptions import RedisError
from servicekit.errors import ServiceUnavailableError
from servicekit.identity import revoked_user_key

logger = logging.getLogger(__name__)

# Allowed clock difference between the hosts that issue, expire and check tokens.
_CLOCK_SKEW_SECONDS = 60


class Revocations:
    def __init__(self, redis: Redis, *, token_ttl_seconds: int) -> None:
        self._redis = redis
        # NOTE: a token issued under a longer ACCESS_TOKEN_TTL_SECONDS can outlive the key
        # after the setting is lowered. Lower it only once that old lifetime has passed.
        self._ttl_seconds = token_ttl_seconds + _CLOCK_SKEW_SECONDS

    async def revoke(self, user_id: UUID) -> None:
        """Store the revocation; raise 503 when Redis cannot, so the caller deletes nothing."""
        try:
            await self._redis.set(revoked_user_key(user_id), "1", ex=self._ttl_seconds)
        except (RedisError, OSError) as exc:
            raise ServiceUnavailableError(
                "Account deletion is unavailable because tokens cannot be revoked now;"
                " retry later.",
                code="revocation_unavailable",
            ) from exc
        logger.info("access tokens revoked", extra={"user_id": str(user_id)})

    async def withdraw(self, user_id: UUID) -> None:
        """Remove a revocation whose account was not deleted after all; log a failure."""
        try:
            await self._redis.delete(revoked_user_key(user_id))
        except (RedisError, OSError) as exc:
            logger.error(
                "revocation not withdrawn; the user's tokens stay rejected until it expires",
                extra={"user_id": str(user_id), "error": type(exc).__name__},
            )
