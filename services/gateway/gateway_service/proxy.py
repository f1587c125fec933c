"""The proxy: each public route forwards to one service, as a plain ASGI endpoint.

The endpoints are ASGI callables rather than FastAPI path operations because they run on
every request and need none of FastAPI's parameter parsing: they read scope headers once,
pass the body bytes through unparsed, and send the service's bytes back.
"""

from dataclasses import dataclass

import aiohttp
from servicekit.errors import InvalidRequestError, NotFoundError, UnauthorizedError
from servicekit.logs import request_id_var
from starlette.routing import Route
from starlette.types import Receive, Scope, Send
from yarl import URL

from gateway_service import upstream
from gateway_service.auth import Identity, TokenVerifier
from gateway_service.clients import client_address
from gateway_service.ratelimit import RateLimiter
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
_DOT_SEGMENTS = frozenset({".", ".."})


@dataclass(frozen=True)
class PublicRoute:
    """One public route: method, path under /api/v1, service, and whether it needs a token."""

    method: str
    path: str
    service: str
    auth_required: bool


PUBLIC_ROUTES = (
    PublicRoute("POST", "/users", "user", False),
    PublicRoute("POST", "/auth/token", "user", False),
    PublicRoute("GET", "/users/me", "user", True),
    PublicRoute("GET", "/products", "product", False),
    PublicRoute("POST", "/products", "product", True),
    PublicRoute("GET", "/products/{product_id}", "product", False),
    PublicRoute("PATCH", "/products/{product_id}", "product", True),
    PublicRoute("POST", "/orders", "order", True),
    PublicRoute("GET", "/orders", "order", True),
    PublicRoute("GET", "/orders/{order_id}", "order", True),
    PublicRoute("POST", "/orders/{order_id}/cancel", "order", True),
)


class Proxy:
    """State every proxied request shares; the lifespan attaches the session and limiter."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.bases = {name: settings.upstream_base(name) for name in upstream.SERVICES}
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


class _Endpoint:
    """ASGI endpoint for one public route."""

    def __init__(self, proxy: Proxy, route: PublicRoute) -> None:
        self.proxy = proxy
        self.service = route.service
        self.auth_required = route.auth_required
        self.reads_body = route.method in _METHODS_WITH_BODY

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        proxy = self.proxy
        headers, authorization = _forwarded_headers(scope)

        identity = self._identify(authorization)
        if identity is not None:
            headers.extend(identity.headers)

        if identity is not None:
            client = f"user:{identity.user_id}"
        else:
            client = f"ip:{client_address(scope, proxy.trusted_proxies)}"
        decision = await proxy.limiter.check(client)

        body = await _read_body(receive) if self.reads_body else None
        response = await upstream.call(
            proxy.session,
            self.service,
            scope["method"],
            _upstream_url(proxy.bases[self.service], scope),
            headers=headers,
            body=body,
        )
        if response.status >= 500:
            raise upstream.bad_gateway(self.service, response.status)

        await _send_response(send, response, decision.headers if decision else ())

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


def _upstream_url(base: str, scope: Scope) -> URL:
    for value in scope["path_params"].values():
        if value in _DOT_SEGMENTS:
            raise NotFoundError(f"No route matches {scope['method']} {scope['path']}.")

    raw_path = scope.get("raw_path") or scope["path"].encode()
    target = raw_path[len(PREFIX) :]
    if scope["query_string"]:
        target += b"?" + scope["query_string"]
    if not target.isascii():
        raise InvalidRequestError("The request target must be ASCII, percent-encoded.")

    # encoded=True passes the client's percent-encoding through as it is, and skips
    # yarl's requoting on this hot path.
    return URL(base + target.decode("ascii"), encoded=True)


async def _read_body(receive: Receive) -> bytes:
    # servicekit's middleware has already capped the size at MAX_BODY_BYTES.
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _send_response(send: Send, response: upstream.UpstreamResponse, extra: tuple) -> None:
    headers = [
        (name, value)
        for name, value in response.headers
        if name.lower() not in _DROPPED_RESPONSE_HEADERS
    ]
    headers.append((b"content-length", str(len(response.body)).encode()))
    headers.extend(extra)

    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})
