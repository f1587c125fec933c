"""Calls to the services behind the gateway, over one keep-alive aiohttp session.

Each transport failure becomes a gateway error that names the service, never its URL or
the exception text: refused → 503, timed out → 504, broken or 5xx response → 502.
"""

import asyncio
import logging
from dataclasses import dataclass

import aiohttp
from servicekit.errors import BadGatewayError, GatewayTimeoutError, ServiceUnavailableError

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


async def call(
    session: aiohttp.ClientSession,
    service: str,
    method: str,
    url: str,
    *,
    headers: list[tuple[str, str]],
    body: bytes | None,
) -> UpstreamResponse:
    """Send one request to a service and read the whole response."""
    try:
        async with session.request(
            method, url, headers=headers, data=body, allow_redirects=False
        ) as response:
            payload = await response.read()
            return UpstreamResponse(response.status, response.raw_headers, payload)
    except aiohttp.ClientConnectorError as exc:
        raise upstream_unavailable(service) from exc
    except TimeoutError as exc:
        raise upstream_timeout(service) from exc
    except (aiohttp.ClientError, asyncio.IncompleteReadError) as exc:
        logger.warning(
            "upstream response broken", extra={"service": service, "error": type(exc).__name__}
        )
        raise bad_gateway(service) from exc


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
