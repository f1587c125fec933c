"""SQL for products. Functions take keyword-only arguments and raise domain errors."""

from typing import Any

import asyncpg
from servicekit.database import database_errors

from product_service import errors

PRODUCT_COLUMNS = (
    "id, sku, name, description, category, price_cents, stock, created_at, updated_at"
)
# Columns a PATCH may set; the names go into SQL, so only these are ever interpolated.
UPDATABLE_COLUMNS = ("sku", "name", "description", "category", "price_cents", "stock")

def escape_like(text: str) -> str:
    """Escape LIKE wildcards so a search for `50%` matches the text literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def fetch_product(pool: asyncpg.Pool, *, product_id: int) -> asyncpg.Record:
    with database_errors("product"):
        row = await pool.fetchrow(
            f"SELECT {PRODUCT_COLUMNS} FROM products WHERE id = $1", product_id
        )
    if row is None:
        raise errors.product_not_found(product_id)
    return row


async def list_products(
    pool: asyncpg.Pool, *, q: str | None, category: str | None, limit: int, offset: int
) -> tuple[list[asyncpg.Record], int]:
    """Return one page of products ordered by id, and the number of products matching."""
    pattern = f"%{escape_like(q)}%" if q else None
    where = "($1::text IS NULL OR name ILIKE $1) AND ($2::text IS NULL OR category = $2)"

    with database_errors("product"):
        async with pool.acquire() as connection:
            rows = await connection.fetch(
                f"SELECT {PRODUCT_COLUMNS} FROM products WHERE {where}"
                " ORDER BY id LIMIT $3 OFFSET $4",
                pattern,
                category,
                limit,
                offset,
            )
            total = await connection.fetchval(
                f"SELECT count(*) FROM products WHERE {where}", pattern, category
            )
    return rows, total


async def insert_product(pool: asyncpg.Pool, *, fields: dict[str, Any]) -> asyncpg.Record:
    try:
        with database_errors("product"):
            return await pool.fetchrow(
                "INSERT INTO products (sku, name, description, category, price_cents, stock)"
                f" VALUES ($1, $2, $3, $4, $5, $6) RETURNING {PRODUCT_COLUMNS}",
                fields["sku"],
                fields["name"],
                fields["description"],
                fields["category"],
                fields["price_cents"],
                fields["stock"],
            )
    except asyncpg.UniqueViolationError as exc:
        raise errors.sku_taken(fields["sku"]) from exc


async def update_product(
    pool: asyncpg.Pool, *, product_id: int, changes: dict[str, Any]
) -> asyncpg.Record:
    columns = [column for column in UPDATABLE_COLUMNS if column in changes]
    assignments = ", ".join(f"{column} = ${index}" for index, column in enumerate(columns, 2))
    values = [changes[column] for column in columns]

    try:
        with database_errors("product"):
            row = await pool.fetchrow(
                f"UPDATE products SET {assignments}, updated_at = now()"
                f" WHERE id = $1 RETURNING {PRODUCT_COLUMNS}",
                product_id,
                *values,
            )
    except asyncpg.UniqueViolationError as exc:
        raise errors.sku_taken(changes["sku"]) from exc

    if row is None:
        raise errors.product_not_found(product_id)
    return row
