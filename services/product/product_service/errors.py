"""Domain errors of the product service, with their error codes and their OpenAPI description."""

from typing import Any

from servicekit.errors import ConflictError, NotFoundError
from servicekit.openapi import error_responses as openapi_error_responses

# Only the texts that differ from servicekit.openapi's defaults.
_STATUS_DESCRIPTIONS = {403: "The caller lacks the admin role."}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Describe error statuses in OpenAPI with the envelope, 400 and 422 included."""
    return openapi_error_responses(*statuses, descriptions=_STATUS_DESCRIPTIONS)


def product_not_found(product_id: int) -> NotFoundError:
    return NotFoundError(
        f"Product {product_id} not found.",
        code="product_not_found",
        details={"product_id": product_id},
    )


def sku_taken(sku: str) -> ConflictError:
    return ConflictError(
        f"A product with SKU {sku!r} already exists.", code="sku_taken", details={"sku": sku}
    )


def insufficient_stock(product_id: int, requested: int, available: int) -> ConflictError:
    return ConflictError(
        f"Product {product_id} has {available} in stock, fewer than the {requested} requested.",
        code="insufficient_stock",
        details={"product_id": product_id, "requested": requested, "available": available},
    )


def reservation_released(order_id: str) -> ConflictError:
    return ConflictError(
        f"The reservation for order {order_id} was released and cannot be made again.",
        code="reservation_released",
        details={"order_id": order_id},
    )


def reservation_not_found(order_id: str) -> NotFoundError:
    return NotFoundError(
        f"No reservation for order {order_id}.",
        code="reservation_not_found",
        details={"order_id": order_id},
    )
