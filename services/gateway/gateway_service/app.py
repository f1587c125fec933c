"""Build the gateway application: servicekit's app with the proxy routes and docs."""

import contextlib
from collections.abc import AsyncIterator

from fastapi import APIRouter, FastAPI
from servicekit.app import create_app
from servicekit.cache import close_redis, create_redis
from servicekit.errors import AppError
from servicekit.health import ReadinessCheck

from gateway_service import docs, upstream
from gateway_service.openapi import CombinedOpenAPI
from gateway_service.proxy import Proxy
from gateway_service.ratelimit import RateLimiter
from gateway_service.settings import GatewaySettings

VERSION = "0.1.0"


def create_gateway_app(settings: GatewaySettings) -> FastAPI:
    proxy = Proxy(settings)
    proxy_routes = proxy.routes()
    proxy_router = APIRouter()
    proxy_router.routes.extend(proxy_routes)

    app = create_app(
        settings,
        title="Shop API gateway",
        version=VERSION,
        routers=[docs.router, proxy_router],
        resources=_resources(settings, proxy),
        # FastAPI's own description of the gateway would list only the docs routes; the
        # combined one under /api/v1 replaces it.
        builtin_docs=False,
        # Every request takes one of these routes, so they skip FastAPI's routing layers.
        fast_routes=proxy_routes,
    )
    app.state.openapi = CombinedOpenAPI(
        proxy, title="Shop API", version=VERSION, ttl=settings.openapi_cache_seconds
    )
    return app


def _resources(settings: GatewaySettings, proxy: Proxy):
    @contextlib.asynccontextmanager
    async def open_resources(app: FastAPI) -> AsyncIterator[dict[str, ReadinessCheck]]:
        session = upstream.create_session(settings)
        redis = create_redis(settings)
        proxy.session = session
        proxy.limiter = RateLimiter(
            redis,
            per_minute=settings.rate_limit_per_minute,
            burst=settings.rate_limit_burst,
            fail_open=settings.rate_limit_fail_open,
        )
        app.state.redis = redis
        try:
            yield _readiness_checks(settings, proxy, redis)
        finally:
            await upstream.close_session(session)
            await close_redis(redis)

    return open_resources


def _readiness_checks(settings: GatewaySettings, proxy: Proxy, redis) -> dict[str, ReadinessCheck]:
    """Return the checks /readyz runs.

    Redis counts only when the rate limiter fails closed: failing open means the gateway
    serves without Redis, and taking every replica out of the load balancer for it would
    turn a rate-limiter outage into a full one. Services count only when
    READINESS_CHECKS_UPSTREAMS is set, because one service down should fail its own
    routes with 503, not remove the gateway and with it the services that still work.
    """
    checks: dict[str, ReadinessCheck] = {}
    if not settings.rate_limit_fail_open:
        checks["redis"] = redis.ping
    if settings.readiness_checks_upstreams:
        for name in upstream.SERVICES:
            checks[f"{name}_service"] = _upstream_check(proxy, name)
    return checks


def _upstream_check(proxy: Proxy, service: str) -> ReadinessCheck:
    """Pass when any replica of the service is live; the proxy retries on the others."""

    async def check() -> None:
        for base in proxy.upstreams[service].bases:
            try:
                response = await upstream.call(
                    proxy.session, service, "GET", f"{base}/healthz", headers=[], body=None
                )
            except AppError:
                continue
            if response.status == 200:
                return
        raise upstream.upstream_unavailable(service)

    return check
