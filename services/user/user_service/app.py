"""Build the user service's FastAPI app."""

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI
from redis.asyncio import Redis
from servicekit.app import create_app
from servicekit.cache import close_redis, create_redis
from servicekit.health import ReadinessCheck
from servicekit.settings import RedisSettings
from servicekit.stores import open_stores

from user_service.passwords import Passwords
from user_service.revocations import Revocations
from user_service.routes import auth, users
from user_service.settings import Settings


def build_app(settings: Settings) -> FastAPI:
    @contextlib.asynccontextmanager
    async def resources(app: FastAPI) -> AsyncIterator[dict[str, ReadinessCheck]]:
        passwords = Passwords(settings)
        app.state.passwords = passwords
        try:
            async with open_stores(
                app,
                settings,
                migrations_package="user_service",
                wait_seconds=settings.database_wait_seconds,
            ) as checks, _revocation_redis(app, settings) as redis:
                app.state.revocations = Revocations(
                    redis, token_ttl_seconds=settings.access_token_ttl_seconds
                )
                # Only account deletion needs Redis, so a Redis outage must not make the
                # service unready.
                yield {"postgres": checks["postgres"]}
        finally:
            passwords.close()

    return create_app(
        settings,
        title="User service",
        version="0.1.0",
        routers=[users.router, auth.router],
        resources=resources,
        readiness_timeout=settings.readiness_timeout_seconds,
    )


@contextlib.asynccontextmanager
async def _revocation_redis(app: FastAPI, settings: Settings) -> AsyncIterator[Redis]:
    """Yield the client for revocations: the store's own, unless another URL is set."""
    if settings.revocation_redis_url is None:
        yield app.state.redis
        return

    redis = create_redis(
        RedisSettings(
            redis_url=settings.revocation_redis_url,
            redis_timeout_seconds=settings.redis_timeout_seconds,
        )
    )
    try:
        yield redis
    finally:
        await close_redis(redis)
