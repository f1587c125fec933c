"""Calls to the product service's internal reservation API.

Failures come back as two exceptions the saga acts on: ReservationRejected when the
product service rejected the reservation, ProductServiceUnavailable when the outcome is unknown
(no connection, a timeout, a 5xx or a body we cannot read).
"""

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx
from pydantic import BaseModel, ValidationError
from servicekit.logs import request_id_var

from order_service.domain import OrderItem
from order_service.settings import OrderSettings

logger = logging.getLogger(__name__)


class ProductServiceUnavailable(Exception):
    """The product service could not be reached or returned no usable response."""


class ReservationRejected(Exception):
    """The product service rejected the reservation (unknown product, not enough stock)."""

    def __init__(self, status: int, code: str, message: str, details: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details


@dataclass(frozen=True)
class Reservation:
    status: str
    prices: dict[int, int]


class _ReservedItem(BaseModel):
    product_id: int
    quantity: int
    unit_price_cents: int | None = None


class _ReservationBody(BaseModel):
    order_id: UUID
    status: str
    items: list[_ReservedItem]


# The request did not reach the product service, or its connection closed before a
# response, as when a replica stops during a rolling update.
_RETRIED_ERRORS = (httpx.ConnectError, httpx.RemoteProtocolError)


class ProductClient:
    def __init__(
        self, client: httpx.AsyncClient, *, retries: int = 0, backoff_seconds: float = 0.0
    ) -> None:
        self._client = client
        self._retries = retries
        self._backoff_seconds = backoff_seconds

    async def reserve(self, *, order_id: UUID, items: Sequence[OrderItem]) -> Reservation:
        """Reserve stock for every item or none; repeating it for one order id is harmless."""
        body = {
            "order_id": str(order_id),
            "items": [{"product_id": i.product_id, "quantity": i.quantity} for i in items],
        }
        response = await self._send("POST", "/internal/reservations", json=body)

        if response.status_code in (404, 409):
            raise _rejection(response)
        reservation = _parse_reservation(response)
        _check_prices(reservation, items)
        return reservation

    async def release(self, *, order_id: UUID) -> None:
        """Give the stock back, or record a release so that a late reservation is refused."""
        response = await self._send("POST", f"/internal/reservations/{order_id}/release")
        _parse_reservation(response)

    async def find_reservation(self, *, order_id: UUID) -> Reservation | None:
        """Return the reservation recorded for the order, or None when there is none."""
        response = await self._send("GET", f"/internal/reservations/{order_id}")
        if response.status_code == 404:
            return None
        return _parse_reservation(response)

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        request_id = request_id_var.get()
        headers = {"X-Request-ID": request_id} if request_id else {}
        for attempt in range(self._retries + 1):
            try:
                return await self._client.request(method, path, headers=headers, **kwargs)
            except _RETRIED_ERRORS as exc:
                if attempt == self._retries:
                    raise _unavailable(method, path, exc) from exc
                await self._pause_before_retry(method, path, attempt, exc)
            except httpx.HTTPError as exc:
                raise _unavailable(method, path, exc) from exc
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _pause_before_retry(
        self, method: str, path: str, attempt: int, exc: httpx.HTTPError
    ) -> None:
        # Jitter keeps the orders that failed together from retrying together.
        delay = self._backoff_seconds * 2**attempt * random.uniform(0.5, 1.5)
        logger.warning(
            "product call failed; retrying",
            extra={"call": f"{method} {path}", "error": type(exc).__name__, "retry_in": delay},
        )
        await asyncio.sleep(delay)


def _unavailable(method: str, path: str, exc: httpx.HTTPError) -> ProductServiceUnavailable:
    return ProductServiceUnavailable(f"{method} {path} failed: {type(exc).__name__}: {exc}")


def _parse_reservation(response: httpx.Response) -> Reservation:
    if response.status_code != 200:
        raise ProductServiceUnavailable(
            f"unexpected status {response.status_code} from {response.request.url.path}"
        )
    try:
        body = _ReservationBody.model_validate_json(response.content)
    except ValidationError as exc:
        raise ProductServiceUnavailable(
            f"unreadable reservation body from {response.request.url.path}"
        ) from exc

    prices = {
        item.product_id: item.unit_price_cents
        for item in body.items
        if item.unit_price_cents is not None
    }
    return Reservation(status=body.status, prices=prices)


def _check_prices(reservation: Reservation, items: Sequence[OrderItem]) -> None:
    missing = [item.product_id for item in items if item.product_id not in reservation.prices]
    if missing:
        raise ProductServiceUnavailable(f"reservation has no unit price for products {missing}")


def _rejection(response: httpx.Response) -> ReservationRejected:
    try:
        error = response.json()["error"]
        code, message, details = error["code"], error["message"], error.get("details")
    except (ValueError, KeyError, TypeError) as exc:
        raise ProductServiceUnavailable(
            f"unreadable error body with status {response.status_code}"
        ) from exc
    return ReservationRejected(response.status_code, code, message, details)


@contextlib.asynccontextmanager
async def open_product_client(settings: OrderSettings) -> AsyncIterator[ProductClient]:
    """Open the one HTTP client the service shares for every call to the product service."""
    timeout = httpx.Timeout(
        connect=settings.product_connect_timeout_seconds,
        read=settings.product_read_timeout_seconds,
        write=settings.product_read_timeout_seconds,
        pool=settings.product_pool_timeout_seconds,
    )
    limits = httpx.Limits(
        max_connections=settings.product_max_connections,
        max_keepalive_connections=settings.product_max_connections,
    )
    base_url = str(settings.product_service_url)
    async with httpx.AsyncClient(base_url=base_url, timeout=timeout, limits=limits) as client:
        logger.info("product client opened", extra={"base_url": base_url})
        yield ProductClient(
            client,
            retries=settings.product_connect_retries,
            backoff_seconds=settings.product_retry_backoff_seconds,
        )
    logger.info("product client closed")
