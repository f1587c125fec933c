"""Build the product service's FastAPI app."""

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI
from servicekit.app import create_app
from servicekit.health import ReadinessCheck
from servicekit.stores import open_stores

from product_service.cache import ProductCache
from product_service.routes import products, reservations
from product_service.routes.fast import FAST_ROUTES
from product_service.settings import Settings


def build_app(settings: Settings) -> FastAPI:
    @contextlib.asynccontextmanager
    async def resources(app: FastAPI) -> AsyncIterator[dict[str, ReadinessCheck]]:
        async with open_stores(
            app,
            settings,
            migrations_package="product_service",
            wait_seconds=settings.database_wait_seconds,
        ) as checks:
            app.state.cache = ProductCache(
                app.state.redis,
                product_ttl_seconds=settings.product_cache_ttl_seconds,
                page_ttl_seconds=settings.page_cache_ttl_seconds,
                retry_seconds=settings.cache_retry_seconds,
            )
            # The cache is optional: reads fall back to PostgreSQL, so a Redis outage
            # must not take every replica out of the load balancer.
            yield {"postgres": checks["postgres"]}

    return create_app(
        settings,
        title="Product service",
        version="0.1.0",
        routers=[products.router, reservations.router],
        resources=resources,
        readiness_timeout=settings.readiness_timeout_seconds,
        fast_routes=FAST_ROUTES,
    )
