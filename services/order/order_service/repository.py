"""SQL for orders and their items.

Every status change is an UPDATE guarded by the status it expects, so when two actors (a
request and the recovery loop, or two replicas) race, exactly one of them moves the order
and the other gets False back.
"""

import functools
import json
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import ParamSpec, TypeVar
from uuid import UUID

import asyncpg
from servicekit.database import database_errors

from order_service.domain import Order, OrderError, OrderItem, OrderStatus

# Failures of the connection rather than of the statement: a retry later may succeed.

_Params = ParamSpec("_Params")
_Result = TypeVar("_Result")

_ORDER_COLUMNS = (
    "id, user_id, status, total_cents, request_hash, error_status, error_code,"
    " error_message, error_details, created_at, updated_at"
)


def _database_errors(
    function: Callable[_Params, Awaitable[_Result]],
) -> Callable[_Params, Awaitable[_Result]]:
    """Re-raise database failures as a 503 that the error handler turns into the envelope."""

    @functools.wraps(function)
    async def wrapper(*args: _Params.args, **kwargs: _Params.kwargs) -> _Result:
        with database_errors("order"):
            return await function(*args, **kwargs)

    return wrapper


@_database_errors
async def insert_order(
    pool: asyncpg.Pool,
    *,
    order_id: UUID,
    user_id: UUID,
    idempotency_key: str,
    request_hash: str,
    items: Sequence[OrderItem],
) -> bool:
    """Insert a pending order and its items; return False when the key was already used."""
    async with pool.acquire() as connection, connection.transaction():
        inserted = await connection.fetchval(
            "INSERT INTO orders (id, user_id, status, idempotency_key, request_hash)"
            " VALUES ($1, $2, 'pending', $3, $4)"
            " ON CONFLICT (user_id, idempotency_key) DO NOTHING"
            " RETURNING id",
            order_id,
            user_id,
            idempotency_key,
            request_hash,
        )
        if inserted is None:
            return False

        await connection.execute(
            "INSERT INTO order_items (order_id, product_id, quantity)"
            " SELECT $1, product_id, quantity FROM unnest($2::bigint[], $3::int[])"
            " AS item (product_id, quantity)",
            order_id,
            [item.product_id for item in items],
            [item.quantity for item in items],
        )
    return True


@_database_errors
async def find_order(
    pool: asyncpg.Pool, *, order_id: UUID, user_id: UUID | None = None
) -> Order | None:
    """Return the order, or None when it does not exist or belongs to another user."""
    async with pool.acquire() as connection:
        row = await connection.fetchrow(
            f"SELECT {_ORDER_COLUMNS} FROM orders"
            " WHERE id = $1 AND ($2::uuid IS NULL OR user_id = $2)",
            order_id,
            user_id,
        )
        if row is None:
            return None
        items = await _fetch_items(connection, [order_id])
    return _order_from_row(row, items.get(order_id, []))


@_database_errors
async def find_order_by_key(
    pool: asyncpg.Pool, *, user_id: UUID, idempotency_key: str
) -> Order | None:
    async with pool.acquire() as connection:
        row = await connection.fetchrow(
            f"SELECT {_ORDER_COLUMNS} FROM orders WHERE user_id = $1 AND idempotency_key = $2",
            user_id,
            idempotency_key,
        )
        if row is None:
            return None
        items = await _fetch_items(connection, [row["id"]])
    return _order_from_row(row, items.get(row["id"], []))


@_database_errors
async def list_orders(
    pool: asyncpg.Pool, *, user_id: UUID, limit: int, offset: int
) -> tuple[list[Order], int]:
    """Return one page of the user's orders, newest first, and the user's order count."""
    async with pool.acquire() as connection:
        total = await connection.fetchval("SELECT count(*) FROM orders WHERE user_id = $1", user_id)
        rows = await connection.fetch(
            f"SELECT {_ORDER_COLUMNS} FROM orders WHERE user_id = $1"
            " ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3",
            user_id,
            limit,
            offset,
        )
        items = await _fetch_items(connection, [row["id"] for row in rows])
    orders = [_order_from_row(row, items.get(row["id"], [])) for row in rows]
    return orders, total


@_database_errors
async def confirm_order(
    pool: asyncpg.Pool, *, order_id: UUID, prices: dict[int, int], total_cents: int
) -> bool:
    """Move a pending order to confirmed with its prices; return False if it was not pending."""
    # One statement, so the order never shows as confirmed without its unit prices.
    confirmed = await pool.fetchval(
        "WITH confirmed AS ("
        "  UPDATE orders SET status = 'confirmed', total_cents = $2, updated_at = now()"
        "  WHERE id = $1 AND status = 'pending' RETURNING id"
        "), priced AS ("
        "  UPDATE order_items SET unit_price_cents = price.unit_price_cents"
        "  FROM confirmed, unnest($3::bigint[], $4::int[]) AS price (product_id, unit_price_cents)"
        "  WHERE order_items.order_id = confirmed.id"
        "    AND order_items.product_id = price.product_id"
        "  RETURNING 1"
        ") SELECT count(*) FROM confirmed",
        order_id,
        total_cents,
        list(prices),
        list(prices.values()),
    )
    return confirmed == 1


@_database_errors
async def reject_order(
    pool: asyncpg.Pool,
    *,
    order_id: UUID,
    error: OrderError,
    new: OrderStatus = OrderStatus.REJECTED,
) -> bool:
    """Move a pending order to `new` (rejected or rejecting), keeping the error.

    Return False if the order was not pending.
    """
    result = await pool.execute(
        "UPDATE orders SET status = $6, error_status = $2, error_code = $3,"
        " error_message = $4, error_details = $5::jsonb, updated_at = now()"
        " WHERE id = $1 AND status = 'pending'",
        order_id,
        error.status,
        error.code,
        error.message,
        json.dumps(error.details),
        new.value,
    )
    return result == "UPDATE 1"


@_database_errors
async def change_status(
    pool: asyncpg.Pool, *, order_id: UUID, expected: OrderStatus, new: OrderStatus
) -> bool:
    """Move the order from `expected` to `new`; return False if it was not in `expected`."""
    result = await pool.execute(
        "UPDATE orders SET status = $3, updated_at = now() WHERE id = $1 AND status = $2",
        order_id,
        expected.value,
        new.value,
    )
    return result == "UPDATE 1"


@_database_errors
async def claim_unsettled_orders(
    pool: asyncpg.Pool, *, min_age: timedelta, lease: timedelta, limit: int
) -> list[Order]:
    """Claim pending, rejecting and cancelling orders untouched for `min_age`, oldest first.

    A claim is a lease: other replicas skip the rows while this transaction locks them,
    and pass over them until the lease ends or end_recovery_lease clears it.
    """
    async with pool.acquire() as connection, connection.transaction():
        rows = await connection.fetch(
            "UPDATE orders SET recovery_lease_until = now() + $2::interval WHERE id IN ("
            "  SELECT id FROM orders"
            "  WHERE status IN ('pending', 'rejecting', 'cancelling')"
            "    AND updated_at < now() - $1::interval"
            "    AND (recovery_lease_until IS NULL OR recovery_lease_until < now())"
            "  ORDER BY updated_at LIMIT $3 FOR UPDATE SKIP LOCKED"
            f") RETURNING {_ORDER_COLUMNS}",
            min_age,
            lease,
            limit,
        )
        items = await _fetch_items(connection, [row["id"] for row in rows])
    return [_order_from_row(row, items.get(row["id"], [])) for row in rows]


@_database_errors
async def end_recovery_lease(pool: asyncpg.Pool, *, order_id: UUID) -> None:
    """Make the order claimable again at once, for a retry in the next recovery pass."""
    await pool.execute("UPDATE orders SET recovery_lease_until = NULL WHERE id = $1", order_id)


async def _fetch_items(
    connection: asyncpg.Connection, order_ids: list[UUID]
) -> dict[UUID, list[OrderItem]]:
    rows = await connection.fetch(
        "SELECT order_id, product_id, quantity, unit_price_cents FROM order_items"
        " WHERE order_id = ANY($1::uuid[]) ORDER BY order_id, product_id",
        order_ids,
    )
    items: dict[UUID, list[OrderItem]] = {}
    for row in rows:
        item = OrderItem(row["product_id"], row["quantity"], row["unit_price_cents"])
        items.setdefault(row["order_id"], []).append(item)
    return items


def _order_from_row(row: asyncpg.Record, items: list[OrderItem]) -> Order:
    error = None
    if row["error_code"] is not None:
        details = json.loads(row["error_details"]) if row["error_details"] else None
        error = OrderError(row["error_status"], row["error_code"], row["error_message"], details)

    return Order(
        id=row["id"],
        user_id=row["user_id"],
        status=OrderStatus(row["status"]),
        items=items,
        total_cents=row["total_cents"],
        request_hash=row["request_hash"],
        error=error,
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )
