"""SQL for stock reservations: all items or none, once per order id.

Every function runs in one transaction. Products are locked in product id order, so
two reservations that share products wait for each other instead of deadlocking.
"""

from dataclasses import dataclass, field
from uuid import UUID

import asyncpg
from servicekit.database import database_errors

from product_service import errors
from product_service.schemas import ReservationItem


@dataclass
class Reservation:
    order_id: UUID
    status: str
    items: list[dict] = field(default_factory=list)
    # True when this call took or returned stock, so cached products are now stale.
    changed_stock: bool = False

    @property
    def product_ids(self) -> list[int]:
        return [item["product_id"] for item in self.items]


async def reserve(
    pool: asyncpg.Pool, *, order_id: UUID, items: list[ReservationItem]
) -> Reservation:
    """Take stock for every item, or return the stored result if the order id is known."""
    with database_errors("product"):
        async with pool.acquire() as connection, connection.transaction():
            # A concurrent call with the same order id waits here until the first commits.
            inserted = await connection.fetchval(
                "INSERT INTO reservations (order_id, status) VALUES ($1, 'reserved')"
                " ON CONFLICT DO NOTHING RETURNING true",
                order_id,
            )
            if not inserted:
                return await _replay(connection, order_id)

            reserved = await _take_stock(connection, order_id, items)
            return Reservation(order_id, "reserved", reserved, changed_stock=True)


async def _replay(connection: asyncpg.Connection, order_id: UUID) -> Reservation:
    existing = await _fetch(connection, order_id)
    if existing.status == "released":
        raise errors.reservation_released(str(order_id))
    return existing


async def _take_stock(
    connection: asyncpg.Connection, order_id: UUID, items: list[ReservationItem]
) -> list[dict]:
    reserved = []
    for item in sorted(items, key=lambda item: item.product_id):
        price = await connection.fetchval(
            "UPDATE products SET stock = stock - $2, updated_at = now()"
            " WHERE id = $1 AND stock >= $2 RETURNING price_cents",
            item.product_id,
            item.quantity,
        )
        if price is None:
            await _raise_unavailable(connection, item)
        reserved.append(
            {"product_id": item.product_id, "quantity": item.quantity, "unit_price_cents": price}
        )

    await connection.executemany(
        "INSERT INTO reservation_items (order_id, product_id, quantity, unit_price_cents)"
        " VALUES ($1, $2, $3, $4)",
        [
            (order_id, entry["product_id"], entry["quantity"], entry["unit_price_cents"])
            for entry in reserved
        ],
    )
    return reserved


async def _raise_unavailable(connection: asyncpg.Connection, item: ReservationItem) -> None:
    """Raise why the stock update matched no row; the caller's transaction rolls back."""
    available = await connection.fetchval(
        "SELECT stock FROM products WHERE id = $1", item.product_id
    )
    if available is None:
        raise errors.product_not_found(item.product_id)
    raise errors.insufficient_stock(item.product_id, item.quantity, available)


async def release(pool: asyncpg.Pool, *, order_id: UUID) -> Reservation:
    """Return the reserved stock once; for an unknown order id, record a released tombstone."""
    with database_errors("product"):
        async with pool.acquire() as connection, connection.transaction():
            tombstone = await connection.fetchval(
                "INSERT INTO reservations (order_id, status) VALUES ($1, 'released')"
                " ON CONFLICT DO NOTHING RETURNING true",
                order_id,
            )
            if tombstone:
                return Reservation(order_id, "released")

            # FOR UPDATE makes a concurrent release wait and then see status 'released'.
            status = await connection.fetchval(
                "SELECT status FROM reservations WHERE order_id = $1 FOR UPDATE", order_id
            )
            reservation = await _fetch(connection, order_id)
            if status == "released":
                return reservation

            await _return_stock(connection, reservation)
            reservation.status = "released"
            reservation.changed_stock = True
            return reservation


async def _return_stock(connection: asyncpg.Connection, reservation: Reservation) -> None:
    await connection.execute(
        "UPDATE reservations SET status = 'released', updated_at = now() WHERE order_id = $1",
        reservation.order_id,
    )
    for item in sorted(reservation.items, key=lambda item: item["product_id"]):
        await connection.execute(
            "UPDATE products SET stock = stock + $2, updated_at = now() WHERE id = $1",
            item["product_id"],
            item["quantity"],
        )


async def fetch_reservation(pool: asyncpg.Pool, *, order_id: UUID) -> Reservation:
    with database_errors("product"):
        async with pool.acquire() as connection:
            return await _fetch(connection, order_id)


async def _fetch(connection: asyncpg.Connection, order_id: UUID) -> Reservation:
    status = await connection.fetchval(
        "SELECT status FROM reservations WHERE order_id = $1", order_id
    )
    if status is None:
        raise errors.reservation_not_found(str(order_id))

    rows = await connection.fetch(
        "SELECT product_id, quantity, unit_price_cents FROM reservation_items"
        " WHERE order_id = $1 ORDER BY product_id",
        order_id,
    )
    return Reservation(order_id, status, [dict(row) for row in rows])
