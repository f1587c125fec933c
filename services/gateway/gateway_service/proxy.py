"""The proxy: each public route forwards to one service, as a plain ASGI endpoint.

The endpoints are ASGI callables rather than FastAPI path operations because they run on
every request and need none of FastAPI's parameter parsing: they read scope headers once,
pass the body bytes through unparsed, and send the service's bytes back.
"""

import asyncio
from dataclasses import dataclass

import aiohttp
from servicekit.errors import InvalidRequestError, NotFoundError, UnauthorizedError
from servicekit.logs import request_id_var
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from gateway_service import upstream
from gateway_service.auth import Identity, TokenVerifier, invalid_token_error
from gateway_service.breaker import CircuitBreaker
from gateway_service.clients import client_address
from gateway_service.ratelimit import Decision, RateLimiter
from gateway_service.replicas import RetryPolicy, ServiceUpstream
from gateway_service.retries import RetryBudget
from gateway_service.settings import GatewaySettings

PREFIX = "/api/v1"

# Request headers a service may need from the client. Everything else is dropped, among it
# client-sent X-User-ID and X-User-Role (only the gateway sets those, after verifying the
# token), Authorization (services trust the identity headers) and hop-by-hop headers.
_FORWARDED_REQUEST_HEADERS = frozenset(
    {
        b"content-type",
        b"accept",
        b"accept-language",
        b"idempotency-key",
        b"if-match",
        b"if-none-match",
    }
)
# Response headers that describe the service's connection rather than the response, and
# X-Request-ID, which the gateway's middleware sets itself.
_DROPPED_RESPONSE_HEADERS = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
        b"content-length",
        b"date",
        b"server",
        b"x-request-id",
    }
)
_METHODS_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})
_IDENTITY_HEADERS = frozenset({"x-user-id", "x-user-role"})
_SAFE_METHODS = frozenset({"GET", "HEAD"})
_DOT_SEGMENTS = frozenset({".", ".."})


@dataclass(frozen=True)
class PublicRoute:
    """One public route: method, path under /api/v1, service, and whether it needs a token.

    `idempotent_with_key` marks a POST that the service replays for a repeated
    Idempotency-Key, so the gateway may retry it after a closed connection when the
    client sent a key.
    """

    method: str
    path: str
    service: str
    auth_required: bool
    idempotent_with_key: bool = False


PUBLIC_ROUTES = (
    PublicRoute("POST", "/users", "user", False),
    PublicRoute("POST", "/auth/token", "user", False),
    PublicRoute("GET", "/users/me", "user", True),
    PublicRoute("DELETE", "/users/me", "user", True),
    PublicRoute("GET", "/products", "product", False),
    PublicRoute("POST", "/products", "product", True),
    PublicRoute("GET", "/products/{product_id}", "product", False),
    PublicRoute("PATCH", "/products/{product_id}", "product", True),
    PublicRoute("POST", "/orders", "order", True, idempotent_with_key=True),
    PublicRoute("GET", "/orders", "order", True),
    PublicRoute("GET", "/orders/{order_id}", "order", True),
    PublicRoute("POST", "/orders/{order_id}/cancel", "order", True),
)


class Proxy:
    """State every proxied request shares; the lifespan attaches the session and limiter."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.upstreams = {name: _service_upstream(settings, name) for name in upstream.SERVICES}
        self.verifier = TokenVerifier(
            settings.jwt_secret.get_secret_value(), cache_size=settings.token_cache_size
        )
        self.trusted_proxies = tuple(settings.trusted_proxies)
        self.session: aiohttp.ClientSession | None = None
        self.limiter: RateLimiter | None = None

    def routes(self) -> list[Route]:
        return [
            Route(PREFIX + route.path, _Endpoint(self, route), methods=[route.method])
            for route in PUBLIC_ROUTES
        ]


def _service_upstream(settings: GatewaySettings, service: str) -> ServiceUpstream:
    breaker = CircuitBreaker(
        service,
        failure_threshold=settings.circuit_failure_threshold,
        window_seconds=settings.circuit_window_seconds,
        reset_seconds=settings.circuit_reset_seconds,
    )
    budget = RetryBudget(
        ratio=settings.upstream_retry_budget_ratio,
        window_seconds=settings.upstream_retry_budget_window_seconds,
        min_retries=settings.upstream_retry_budget_min_retries,
    )
    policy = RetryPolicy(
        max_retries=settings.upstream_max_retries,
        backoff_base_seconds=settings.upstream_retry_backoff_seconds,
        backoff_max_seconds=settings.upstream_retry_backoff_max_seconds,
        connect_timeout_seconds=settings.upstream_connect_timeout_seconds,
        total_timeout_seconds=settings.upstream_timeout_seconds,
        replica_skip_seconds=settings.upstream_replica_skip_seconds,
    )
    return ServiceUpstream(
        service, settings.upstream_bases(service), breaker=breaker, budget=budget, policy=policy
    )


class _Endpoint:
    """ASGI endpoint for one public route."""

    def __init__(self, proxy: Proxy, route: PublicRoute) -> None:
        self.proxy = proxy
        self.service = route.service
        self.auth_required = route.auth_required
        self.reads_body = route.method in _METHODS_WITH_BODY
        self.idempotent_with_key = route.idempotent_with_key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers, authorization = _forwarded_headers(scope)
        identity = self._identify(authorization)
        if identity is not None:
            headers.extend(identity.headers)

        if scope["method"] in _SAFE_METHODS:
            decision, response = await self._read_while_checking(scope, headers, identity)
        else:
            decision = await self._admit(scope, identity)
            if decision is not None and decision.revoked:
                # A public route: the deleted user's identity must not reach the service.
                headers = [item for item in headers if item[0] not in _IDENTITY_HEADERS]
            body = await _read_body(receive) if self.reads_body else None
            response = await self._forward(scope, headers, body)

        if response.status >= 500:
            raise upstream.bad_gateway(self.service, response.status)
        with_body = scope["method"] != "HEAD"
        await _send_response(send, response, decision.headers if decision else (), with_body)

    async def _read_while_checking(
        self, scope: Scope, headers: list, identity: Identity | None
    ) -> tuple[Decision | None, upstream.UpstreamResponse]:
        """Send a read upstream while the rate limit is checked, and keep it only if allowed.

        The Redis round trip then adds no latency to reads. A read refused by the limit, or
        made with a revoked token, has still reached the service, which is harmless for a
        GET: the gateway discards its response. On a public route a revoked token's
        identity headers reach the service with the read.
        """
        reading = asyncio.ensure_future(self._forward(scope, headers, None))
        try:
            decision = await self._admit(scope, identity)
        except BaseException:
            reading.cancel()
            raise
        return decision, await reading

    async def _admit(self, scope: Scope, identity: Identity | None) -> Decision | None:
        """Apply the rate limit; raise for a token whose user was deleted on a private route."""
        decision = await self._check_limit(scope, identity)
        if decision is not None and decision.revoked and self.auth_required:
            raise invalid_token_error("its user account was deleted")
        return decision

    async def _forward(
        self, scope: Scope, headers: list, body: bytes | None
    ) -> upstream.UpstreamResponse:
        # The services declare GET only; HEAD is the same request without the body, which
        # _send_response leaves out.
        method = "GET" if scope["method"] == "HEAD" else scope["method"]
        return await self.proxy.upstreams[self.service].send(
            self.proxy.session,
            method,
            _upstream_target(scope),
            headers=headers,
            body=body,
            idempotent=self._idempotent(scope["method"], headers),
        )

    async def _check_limit(self, scope: Scope, identity: Identity | None) -> Decision | None:
        if identity is None:
            client = f"ip:{client_address(scope, self.proxy.trusted_proxies)}"
            return await self.proxy.limiter.check(client)
        return await self.proxy.limiter.check(
            f"user:{identity.user_id}", user_id=identity.user_id
        )

    def _idempotent(self, method: str, headers: list[tuple[str, str]]) -> bool:
        if method in _SAFE_METHODS:
            return True
        return self.idempotent_with_key and any(name == "idempotency-key" for name, _ in headers)

    def _identify(self, authorization: bytes | None) -> Identity | None:
        if self.auth_required:
            return self.proxy.verifier.verify_header(authorization)
        if authorization is None:
            return None
        # On public routes a bad token is ignored rather than rejected, so a client that
        # still sends an expired token can log in again. It gets no identity from it.
        try:
            return self.proxy.verifier.verify_header(authorization)
        except UnauthorizedError:
            return None


def _forwarded_headers(scope: Scope) -> tuple[list, bytes | None]:
    """Return the request headers to forward, and the Authorization header value."""
    headers = [("x-request-id", request_id_var.get() or "")]
    authorization = None
    for name, value in scope["headers"]:
        if name in _FORWARDED_REQUEST_HEADERS:
            headers.append((name.decode(), value.decode("latin-1")))
        elif name == b"authorization":
            authorization = value
    return headers, authorization


def _upstream_target(scope: Scope) -> str:
    """Return the path and query to request upstream, percent-encoded as the client sent it."""
    for value in scope["path_params"].values():
        if value in _DOT_SEGMENTS:
            raise NotFoundError(f"No route matches {scope['method']} {scope['path']}.")

    raw_path = scope.get("raw_path") or scope["path"].encode()
    target = raw_path[len(PREFIX) :]
    if scope["query_string"]:
        target += b"?" + scope["query_string"]
    if not target.isascii():
        raise InvalidRequestError("The request target must be ASCII, percent-encoded.")
    return target.decode("ascii")


async def _read_body(receive: Receive) -> bytes:
    # servicekit's middleware has already capped the size at MAX_BODY_BYTES.
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _send_response(
    send: Send, response: upstream.UpstreamResponse, extra: tuple, with_body: bool = True
) -> None:
    headers = [
        (name, value)
        for name, value in response.headers
        if name.lower() not in _DROPPED_RESPONSE_HEADERS
    ]
    headers.append((b"content-length", str(len(response.body)).encode()))
    headers.extend(extra)

    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body if with_body else b""})
