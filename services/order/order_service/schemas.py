"""Request and response bodies of the order API."""

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from order_service.domain import Order, OrderItem, OrderStatus

# Product ids are PostgreSQL bigint in the product service, but its API accepts them only up to
# 2^53 - 1, the largest integer that JSON clients reading IEEE doubles keep exact.
MAX_PRODUCT_ID = 2**53 - 1
MAX_QUANTITY = 1000
MAX_ITEMS = 100


def integral_float_to_int(value: Any) -> Any:
    """Take 5.0 as 5, because JSON Schema's "integer" type (RFC 8259 numbers) includes it."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# strict: "5", 5.5 or true is an error, not a number.
StrictCount = Annotated[int, BeforeValidator(integral_float_to_int)]


class OrderItemCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    product_id: StrictCount = Field(gt=0, le=MAX_PRODUCT_ID)
    quantity: StrictCount = Field(ge=1, le=MAX_QUANTITY)


class OrderCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    items: list[OrderItemCreate] = Field(min_length=1, max_length=MAX_ITEMS)

    @field_validator("items")
    @classmethod
    def reject_duplicate_products(cls, items: list[OrderItemCreate]) -> list[OrderItemCreate]:
        seen: set[int] = set()
        for item in items:
            if item.product_id in seen:
                raise ValueError(
                    f"product_id {item.product_id} appears more than once;"
                    " send one item per product with the total quantity"
                )
            seen.add(item.product_id)
        return items

    def order_items(self) -> list[OrderItem]:
        return [OrderItem(item.product_id, item.quantity) for item in self.items]


class OrderItemPublic(BaseModel):
    product_id: int
    quantity: int
    unit_price_cents: int | None


class OrderErrorPublic(BaseModel):
    code: str
    message: str
    details: Any = None


class OrderPublic(BaseModel):
    id: UUID
    status: OrderStatus
    items: list[OrderItemPublic]
    total_cents: int | None
    error: OrderErrorPublic | None = Field(
        default=None,
        description="Why the order was rejected; null unless status is rejecting or rejected.",
    )
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_order(cls, order: Order) -> "OrderPublic":
        error = None
        rejected = order.status in (OrderStatus.REJECTING, OrderStatus.REJECTED)
        if rejected and order.error is not None:
            error = OrderErrorPublic(
                code=order.error.code, message=order.error.message, details=order.error.details
            )
        return cls(
            id=order.id,
            status=order.status,
            items=[OrderItemPublic(**vars(item)) for item in order.items],
            total_cents=order.total_cents,
            error=error,
            created_at=order.created_at,
            updated_at=order.updated_at,
        )


class OrderList(BaseModel):
    items: list[OrderPublic]
    total: int
    limit: int
    offset: int
