"""Request and response bodies of the product service."""

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# PostgreSQL bigint and integer bounds, so that a valid body never overflows a column.
MAX_BIGINT = 2**63 - 1
MAX_INTEGER = 2**31 - 1

ProductId = Annotated[int, Field(ge=1, le=MAX_BIGINT)]
Sku = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Description = Annotated[str, Field(max_length=2000)]
Category = Annotated[str, Field(min_length=1, max_length=50)]
PriceCents = Annotated[int, Field(ge=0, le=MAX_INTEGER)]
Stock = Annotated[int, Field(ge=0, le=MAX_INTEGER)]


class ProductCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: Sku
    name: Name
    description: Description = ""
    category: Category
    price_cents: PriceCents
    stock: Stock


class ProductUpdate(BaseModel):
    """A partial update: only the fields sent change, and null is rejected for every field."""

    model_config = ConfigDict(extra="forbid")

    sku: Sku | None = None
    name: Name | None = None
    description: Description | None = None
    category: Category | None = None
    price_cents: PriceCents | None = None
    stock: Stock | None = None

    @field_validator("*")
    @classmethod
    def reject_null(cls, value: Any) -> Any:
        # Runs only for fields present in the body, because defaults are not validated.
        if value is None:
            raise ValueError("must not be null")
        return value

    @model_validator(mode="after")
    def require_a_field(self) -> "ProductUpdate":
        if not self.model_fields_set:
            raise ValueError("send at least one field to change")
        return self

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


class ProductPublic(BaseModel):
    id: int
    sku: str
    name: str
    description: str
    category: str
    price_cents: int
    stock: int
    created_at: datetime
    updated_at: datetime


class ProductPage(BaseModel):
    items: list[ProductPublic]
    total: int
    limit: int
    offset: int


class ReservationItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_id: ProductId
    quantity: Annotated[int, Field(ge=1, le=1000)]


class ReservationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order_id: UUID
    items: Annotated[list[ReservationItem], Field(min_length=1, max_length=100)]

    @field_validator("items")
    @classmethod
    def reject_duplicate_products(cls, items: list[ReservationItem]) -> list[ReservationItem]:
        seen: set[int] = set()
        for item in items:
            if item.product_id in seen:
                raise ValueError(f"product_id {item.product_id} appears more than once")
            seen.add(item.product_id)
        return items


class ReservedItem(BaseModel):
    product_id: int
    quantity: int
    unit_price_cents: int


class ReservationPublic(BaseModel):
    order_id: UUID
    status: Literal["reserved", "released"]
    items: list[ReservedItem]
