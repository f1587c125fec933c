"""The order service's client errors, built on servicekit's domain errors."""

from typing import Any
from uuid import UUID

from servicekit.errors import (
    AppError,
    BadGatewayError,
    ConflictError,
    NotFoundError,
    ServiceUnavailableError,
    UnprocessableError,
)
from servicekit.openapi import error_responses as openapi_error_responses

from order_service.domain import Order, OrderError

IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"

# Seconds a client should wait before asking again about an order still in flight.
RETRY_AFTER_SECONDS = "1"

# Only the texts that differ from servicekit.openapi's defaults.
_STATUS_DESCRIPTIONS = {404: "Not found, or another user's order."}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Describe error statuses in OpenAPI with the envelope, 400, 401 and 422 included."""
    return openapi_error_responses(401, *statuses, descriptions=_STATUS_DESCRIPTIONS)


_ERROR_CLASSES: dict[int, type[AppError]] = {
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableError,
    503: ServiceUnavailableError,
}


def order_not_found(order_id: UUID) -> NotFoundError:
    # Another user's order gets this error too, so that order ids are not disclosed.
    return NotFoundError(
        f"Order {order_id} not found.", code="order_not_found", details={"order_id": str(order_id)}
    )


def order_not_cancellable(order: Order) -> ConflictError:
    return ConflictError(
        f"Order {order.id} is {order.status.value}; only confirmed orders can be cancelled.",
        code="order_not_cancellable",
        details={"order_id": str(order.id), "status": order.status.value},
    )


def idempotency_key_reused() -> UnprocessableError:
    return UnprocessableError(
        "This Idempotency-Key was already used with a different request body;"
        " send a new key for a new order.",
        code="idempotency_key_reused",
        details=[{"field": IDEMPOTENCY_KEY_HEADER, "reason": "already used with another body"}],
    )


def request_in_progress(order_id: UUID) -> ConflictError:
    return ConflictError(
        f"Order {order_id} for this Idempotency-Key is still being processed; retry later.",
        code="request_in_progress",
        details={"order_id": str(order_id)},
        headers={"Retry-After": RETRY_AFTER_SECONDS},
    )


def product_service_unavailable(order_id: UUID) -> OrderError:
    return OrderError(
        status=503,
        code="product_service_unavailable",
        message=(
            "The product service is unavailable, so the order was not placed;"
            " retry with a new Idempotency-Key."
        ),
        details={"order_id": str(order_id)},
    )


def app_error(error: OrderError) -> AppError:
    """Rebuild the error an order was rejected with, so a replay gets the first response."""
    error_class = _ERROR_CLASSES.get(error.status, BadGatewayError)
    headers = {"Retry-After": RETRY_AFTER_SECONDS} if error.status == 503 else None
    return error_class(error.message, code=error.code, details=error.details, headers=headers)
