"""The application factory every service uses, so all share one lifecycle and envelope."""

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager

from fastapi import APIRouter, FastAPI
from starlette.routing import Route

from servicekit import health
from servicekit.errors import install_error_handlers
from servicekit.fastpath import FastRoutes
from servicekit.faults import FaultInjector
from servicekit.health import Health, ReadinessCheck
from servicekit.metrics import metrics_endpoint
from servicekit.middleware import RequestContextMiddleware
from servicekit.settings import ServiceSettings

logger = logging.getLogger(__name__)

# Opens the service's resources, stores them on app.state and yields its readiness checks.
Resources = Callable[[FastAPI], AbstractAsyncContextManager[dict[str, ReadinessCheck]]]


def create_app(
    settings: ServiceSettings,
    *,
    title: str,
    version: str,
    routers: list[APIRouter],
    resources: Resources,
    readiness_timeout: float = 1.0,
    builtin_docs: bool = True,
    fast_routes: list[Route] | None = None,
) -> FastAPI:
    """Build a FastAPI app with health, metrics, error envelope and request middleware.

    `fast_routes` (plain ASGI routes, also present in `routers`) are served ahead of
    FastAPI's router; see servicekit.fastpath.
    """

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        logger.info("service starting", extra={"port": settings.port})
        async with resources(app) as checks:
            app.state.health.checks = checks
            logger.info("service started", extra={"port": settings.port})
            yield
            logger.info("service stopping")
        logger.info("service stopped")

    docs_urls = {} if builtin_docs else {"docs_url": None, "redoc_url": None, "openapi_url": None}
    telemetry = {
        "tracing": settings.opentelemetry,
        "metrics": settings.opentelemetry,
        "logs": settings.opentelemetry,
    }
    # No redirect for a trailing slash: Starlette builds its Location from the client's
    # Host header, and a 307 with an empty body is no error envelope. Such paths get 404.
    app = FastAPI(
        title=title,
        version=version,
        lifespan=lifespan,
        telemetry=telemetry,
        redirect_slashes=False,
        **docs_urls,
    )
    app.state.settings = settings
    app.state.health = Health({}, readiness_timeout)

    app.include_router(health.router)
    app.add_route("/metrics", metrics_endpoint, include_in_schema=False)
    for router in routers:
        app.include_router(router)

    install_error_handlers(app)
    routes = _matchable_routes(app, [health.router, *routers])
    app.state.matchable_routes = routes
    if fast_routes:
        # Added first, so it runs inside RequestContextMiddleware.
        app.add_middleware(FastRoutes, routes=fast_routes)
    app.add_middleware(
        RequestContextMiddleware,
        routes=routes,
        max_body_bytes=settings.max_body_bytes,
        access_log=settings.access_log,
        faults=_fault_injector(settings, routes),
    )
    return app


def _fault_injector(settings: ServiceSettings, routes: list) -> FaultInjector | None:
    if not settings.fault_injection_enabled:
        return None
    templates = {route.path for route in routes if hasattr(route, "path")}
    return FaultInjector(settings.fault_injection_rules, templates)


def _matchable_routes(app: FastAPI, routers: list[APIRouter]) -> list:
    """List the routes whose templates label metrics, in the order the app matches them.

    Recent FastAPI versions wrap included routers in an object that matches a path
    without exposing its template, so the routers' own routes are listed instead.
    """
    own = [route for route in app.router.routes if hasattr(route, "path_regex")]
    included = [route for router in routers for route in router.routes]
    return own + included
