"""Request and response bodies of the product service."""

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)
from servicekit.text import NO_NUL_SCHEMA, reject_unstorable

# PostgreSQL bigint and integer bounds, so that a valid body never overflows a column.
MAX_BIGINT = 2**63 - 1
MAX_INTEGER = 2**31 - 1
# Product ids are bigint, but JSON numbers above 2^53 - 1 lose precision in clients that read
# them as IEEE doubles (RFC 8259 section 6), so the API accepts ids up to that bound only.
MAX_ID = 2**53 - 1


def storable_text(**constraints: int) -> Any:
    """Return a str type with these length constraints that rejects unstorable characters."""
    return Annotated[
        str,
        Field(**constraints, json_schema_extra=NO_NUL_SCHEMA),
        AfterValidator(reject_unstorable),
    ]


def integral_float_to_int(value: Any) -> Any:
    """Take 5.0 as 5, because JSON Schema's "integer" type includes it."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def strict_int(**bounds: int) -> Any:
    """Return an int type with these bounds that rejects "5", 5.5 and true."""
    return Annotated[int, Field(strict=True, **bounds), BeforeValidator(integral_float_to_int)]


ProductId = strict_int(ge=1, le=MAX_ID)
Sku = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
Name = storable_text(min_length=1, max_length=200)
Description = storable_text(max_length=2000)
Category = storable_text(min_length=1, max_length=50)
PriceCents = strict_int(ge=0, le=MAX_INTEGER)
Stock = strict_int(ge=0, le=MAX_INTEGER)


class ProductCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: Sku
    name: Name
    description: Description = ""
    category: Category
    price_cents: PriceCents
    stock: Stock


def _describe_partial_update(schema: dict[str, Any]) -> None:
    """Make the JSON schema say what the validators enforce: no null, at least one field.

    The None defaults only mark a field as not sent, but pydantic lists null in each field's
    anyOf, so it is taken out here.
    """
    for name, field_schema in schema["properties"].items():
        variants = [item for item in field_schema.pop("anyOf", []) if item != {"type": "null"}]
        if variants:
            schema["properties"][name] = {**variants[0], **field_schema}
        schema["properties"][name].pop("default", None)
    schema["minProperties"] = 1


class ProductUpdate(BaseModel):
    """A partial update: only the fields sent change, and null is rejected for every field."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_describe_partial_update)

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
    quantity: strict_int(ge=1, le=1000)


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
