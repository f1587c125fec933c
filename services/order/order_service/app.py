"""The order service application."""

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI
from servicekit.app import create_app
from servicekit.health import ReadinessCheck
from servicekit.stores import open_stores

from order_service.product_client import open_product_client
from order_service.recovery import run_recovery
from order_service.routes import router
from order_service.settings import OrderSettings

VERSION = "0.1.0"


def build_app(settings: OrderSettings) -> FastAPI:
    @contextlib.asynccontextmanager
    async def resources(app: FastAPI) -> AsyncIterator[dict[str, ReadinessCheck]]:
        # The product service is no readiness check: reads and replays work without it.
        async with (
            open_stores(
                app,
                settings,
                migrations_package="order_service",
                wait_seconds=settings.database_wait_seconds,
            ) as checks,
            open_product_client(settings) as product,
            run_recovery(app.state.pool, product, settings),
        ):
            app.state.product = product
            yield checks

    return create_app(
        settings,
        title="Order service",
        version=VERSION,
        routers=[router],
        resources=resources,
        readiness_timeout=settings.readiness_timeout_seconds,
    )
