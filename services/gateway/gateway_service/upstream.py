"""Calls to the services behind the gateway, over one keep-alive aiohttp session.

Each transport failure becomes a gateway error that names the service, never its URL or
the exception text: refused → 503, timed out → 504, broken or 5xx response → 502.
ServiceUpstream adds replicas, retries and the circuit breaker on top of `call`.
"""

import asyncio
import enum
import logging
from dataclasses import dataclass

import aiohttp
from servicekit.errors import (
    AppError,
    BadGatewayError,
    GatewayTimeoutError,
    ServiceUnavailableError,
)
from yarl import URL

from gateway_service.settings import GatewaySettings

logger = logging.getLogger(__name__)

SERVICES = ("user", "product", "order")


@dataclass(frozen=True, slots=True)
class UpstreamResponse:
    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes


def create_session(settings: GatewaySettings) -> aiohttp.ClientSession:
    """Open the session; call from the running event loop (the lifespan)."""
    connector = aiohttp.TCPConnector(
        limit=0,
        limit_per_host=settings.upstream_connections_per_host,
        ttl_dns_cache=300,
        keepalive_timeout=30,
    )
    timeout = aiohttp.ClientTimeout(
        total=settings.upstream_timeout_seconds,
        sock_connect=settings.upstream_connect_timeout_seconds,
    )
    session = aiohttp.ClientSession(
        connector=connector,
        timeout=timeout,
        # The gateway serves many users: it must never keep one user's cookies for another.
        cookie_jar=aiohttp.DummyCookieJar(),
        auto_decompress=False,
        skip_auto_headers=("Accept-Encoding", "User-Agent"),
        trust_env=False,
    )
    logger.info("upstream session opened")
    return session


async def close_session(session: aiohttp.ClientSession) -> None:
    await session.close()
    logger.info("upstream session closed")


class FailureKind(enum.Enum):
    """How a call failed, which decides whether it may be retried."""

    # No connection was established, so the service saw nothing: safe to retry any request.
    CONNECT = "connect"
    # The connection closed or reset before a response: the service may have acted.
    CLOSED = "closed"
    # No response within the timeout: the service may still be acting.
    TIMEOUT = "timeout"
    # A response arrived but could not be read.
    BROKEN = "broken"


class UpstreamCallError(Exception):
    """A failed call: the client's error and how the call failed."""

    def __init__(self, error: AppError, kind: FailureKind) -> None:
        super().__init__(error.message)
        self.error = error
        self.kind = kind


async def call(
    session: aiohttp.ClientSession,
    service: str,
    method: str,
    url: str | URL,
    *,
    headers: list[tuple[str, str]],
    body: bytes | None,
) -> UpstreamResponse:
    """Send one request to a service and read the whole response."""
    try:
        return await send_once(session, service, method, url, headers=headers, body=body)
    except UpstreamCallError as exc:
        raise exc.error from exc.__cause__


async def send_once(
    session: aiohttp.ClientSession,
    service: str,
    method: str,
    url: str | URL,
    *,
    headers: list[tuple[str, str]],
    body: bytes | None,
    client_timeout: aiohttp.ClientTimeout | None = None,
) -> UpstreamResponse:
    """Send one request; raise UpstreamCallError on a transport failure."""
    options = {"timeout": client_timeout} if client_timeout is not None else {}
    try:
        async with session.request(
            method, url, headers=headers, data=body, allow_redirects=False, **options
        ) as response:
            payload = await response.read()
            return UpstreamResponse(response.status, response.raw_headers, payload)
    except aiohttp.ClientConnectorError as exc:
        raise UpstreamCallError(upstream_unavailable(service), FailureKind.CONNECT) from exc
    except aiohttp.ConnectionTimeoutError as exc:
        raise UpstreamCallError(upstream_timeout(service), FailureKind.CONNECT) from exc
    except TimeoutError as exc:
        raise UpstreamCallError(upstream_timeout(service), FailureKind.TIMEOUT) from exc
    except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as exc:
        _log_broken(service, exc)
        raise UpstreamCallError(bad_gateway(service), FailureKind.CLOSED) from exc
    except (aiohttp.ClientError, asyncio.IncompleteReadError) as exc:
        _log_broken(service, exc)
        raise UpstreamCallError(bad_gateway(service), FailureKind.BROKEN) from exc


def _log_broken(service: str, exc: BaseException) -> None:
    logger.warning(
        "upstream response broken", extra={"upstream": service, "error": type(exc).__name__}
    )


def upstream_unavailable(service: str) -> ServiceUnavailableError:
    return ServiceUnavailableError(
        f"The {service} service is unavailable; try again shortly.",
        code="upstream_unavailable",
        details={"service": service},
        headers={"Retry-After": "1"},
    )


def upstream_timeout(service: str) -> GatewayTimeoutError:
    return GatewayTimeoutError(
        f"The {service} service timed out.",
        code="upstream_timeout",
        details={"service": service},
    )


def bad_gateway(service: str, status: int | None = None) -> BadGatewayError:
    details = {"service": service}
    if status is not None:
        details["status"] = status
    return BadGatewayError(
        f"The {service} service returned an invalid response.",
        code="bad_gateway",
        details=details,
    )
