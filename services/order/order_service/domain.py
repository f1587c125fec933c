"""Orders as the service handles them, independent of SQL rows and JSON bodies."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID


class OrderStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    # Rejection decided and stored, stock release not yet confirmed by the product service.
    REJECTING = "rejecting"
    REJECTED = "rejected"
    CANCELLING = "cancelling"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class OrderItem:
    product_id: int
    quantity: int
    unit_price_cents: int | None = None


@dataclass(frozen=True)
class OrderError:
    """Reason an order was rejected, stored so that a replayed request gets the same response."""

    status: int
    code: str
    message: str
    details: Any = None


@dataclass(frozen=True)
class Order:
    id: UUID
    user_id: UUID
    status: OrderStatus
    items: list[OrderItem]
    total_cents: int | None
    request_hash: str
    error: OrderError | None
    created_at: datetime
    updated_at: datetime


def total_cents(items: list[OrderItem], prices: dict[int, int]) -> int:
    """Sum quantity times unit price, in integer cents, so no rounding ever happens."""
    return sum(item.quantity * prices[item.product_id] for item in items)
