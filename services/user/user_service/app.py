"""Build the user service's FastAPI app."""

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI
from servicekit.app import create_app
from servicekit.health import ReadinessCheck
from servicekit.stores import open_stores

from user_service.passwords import Passwords
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
                wait_seconds=settings.migrate_wait_seconds,
            ) as checks:
                # This service stores nothing in Redis, so a Redis outage must not make
                # it unready.
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
