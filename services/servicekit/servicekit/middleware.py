"""One pure ASGI middleware for request ids, metrics, the access log and the body limit.

It is pure ASGI rather than BaseHTTPMiddleware because it runs on every request, and
BaseHTTPMiddleware adds a task and a stream copy per request.
"""

import itertools
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable

import orjson
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servicekit.errors import error_body
from servicekit.faults import FaultInjector
from servicekit.logs import request_id_var
from servicekit.metrics import IN_FLIGHT, LATENCY, REQUESTS
from servicekit.queryparams import declared_query_names, unknown_query_names

access_logger = logging.getLogger("access")

REQUEST_ID_HEADER = b"x-request-id"
# Accept a caller's id only if it is short and plain, so it is safe in logs and headers.
_VALID_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._:-]{1,128}$")
_UNMATCHED_ROUTE = "unmatched"


class RequestContextMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        routes: list,
        max_body_bytes: int,
        access_log: bool,
        faults: FaultInjector | None = None,
    ) -> None:
        self.app = app
        self.routes = [(route, declared_query_names(route)) for route in routes]
        self.max_body_bytes = max_body_bytes
        self.access_log = access_log
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        request_id = _request_id(scope)
        request_id_var.set(request_id)
        method = scope["method"]
        route, declared_query = self._resolve(scope)
        status = 500
        rejected = False
        start = time.perf_counter()

        async def send_with_context(message: Message) -> None:
            nonlocal status
            if rejected:
                return
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER, request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        async def reject_too_large() -> None:
            nonlocal rejected
            await _send_too_large(send_with_context, self.max_body_bytes)
            rejected = True

        in_flight = IN_FLIGHT.labels(method, route)
        in_flight.inc()
        try:
            unknown = _unknown_query(scope, declared_query)
            if _declared_length(scope) > self.max_body_bytes:
                await reject_too_large()
            elif unknown:
                await _send_unknown_query(send_with_context, unknown, declared_query)
            elif self.faults is None or not await self._inject_fault(
                method, route, send_with_context
            ):
                limited = _limit_body(receive, self.max_body_bytes, reject_too_large)
                await self.app(scope, limited, send_with_context)
        except Exception:
            # After a 413 the app receives a disconnect and may raise, but the client
            # already has its response.
            if not rejected:
                raise
        finally:
            in_flight.dec()
            elapsed = time.perf_counter() - start
            REQUESTS.labels(method, route, str(status)).inc()
            LATENCY.labels(method, route).observe(elapsed)
            if self.access_log:
                _log_access(method, route, scope, status, elapsed)

    async def _inject_fault(self, method: str, route: str, send: Send) -> bool:
        """Apply the route's fault rule; return True when it sent a failed response."""
        rule = self.faults.rule_for(method, route)
        return rule is not None and await self.faults.apply(rule, send)

    def _resolve(self, scope: Scope) -> tuple[str, frozenset[str] | None]:
        """Return the matching route's template and its declared query parameters."""
        for route, declared_query in self.routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return getattr(route, "path", _UNMATCHED_ROUTE), declared_query
        return _UNMATCHED_ROUTE, None


def _unknown_query(scope: Scope, declared: frozenset[str] | None) -> list[str]:
    if declared is None or not scope["query_string"]:
        return []
    return unknown_query_names(scope["query_string"], declared)


async def _send_unknown_query(send: Send, unknown: list[str], declared: frozenset[str]) -> None:
    accepted = ", ".join(sorted(declared)) or "none"
    body = orjson.dumps(
        error_body(
            "validation_failed",
            f"Unknown query parameter {', '.join(unknown)}; this endpoint accepts: {accepted}.",
            [{"field": name, "reason": "unknown query parameter"} for name in unknown],
        )
    )
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": 422, "headers": headers})
    await send({"type": "http.response.body", "body": body})


# A new request id is this process's random prefix plus a counter: unique across processes
# with overwhelming probability, and cheaper than uuid4, which reads os.urandom each time.
_ID_PREFIX = secrets.token_hex(10)
_id_counter = itertools.count()


def _request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == REQUEST_ID_HEADER and _VALID_REQUEST_ID.match(value):
            return value.decode()
    return f"{_ID_PREFIX}{next(_id_counter):012x}"


def _declared_length(scope: Scope) -> int:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0
    return 0


def _limit_body(receive: Receive, limit: int, reject: Callable[[], Awaitable[None]]) -> Receive:
    """Wrap receive so a body growing past the limit (chunked uploads) gets 413 mid-stream.

    The app then receives a disconnect, as if the client had gone, and stops reading.
    """
    received = 0

    async def limited_receive() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                await reject()
                return {"type": "http.disconnect"}
        return message

    return limited_receive


async def _send_too_large(send: Send, limit: int) -> None:
    body = orjson.dumps(
        error_body(
            "payload_too_large",
            f"Request body is larger than the limit of {limit} bytes.",
            {"max_bytes": limit},
        )
    )
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _log_access(method: str, route: str, scope: Scope, status: int, elapsed: float) -> None:
    access_logger.info(
        "request",
        extra={
            "method": method,
            "path": scope["path"],
            "route": route,
            "status": status,
            "duration_ms": round(elapsed * 1000, 2),
        },
    )
