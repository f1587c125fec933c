"""Placing an order: a saga over the order database and the product service's stock.

1. Insert the order as pending, keyed by (user, Idempotency-Key).
2. Reserve the stock at the product service.
3. Confirm the order with the reserved prices, or reject it with the product's error.

A crash between steps leaves a pending order that the recovery loop settles later.
"""

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID, uuid4

import asyncpg
from servicekit.errors import AppError

from order_service import errors, repository
from order_service.domain import Order, OrderError, OrderItem, OrderStatus, total_cents
from order_service.metrics import ORDERS
from order_service.product_client import (
    ProductClient,
    ProductServiceUnavailable,
    ReservationRejected,
)
from order_service.rejection import reject_and_release
from order_service.settings import OrderSettings

logger = logging.getLogger(__name__)

# How often a replayed request reads the order again while the first request runs.
_REPLAY_POLL_SECONDS = 0.05


@dataclass(frozen=True)
class OrderPlacement:
    pool: asyncpg.Pool
    product: ProductClient
    settings: OrderSettings


def request_hash(items: Sequence[OrderItem]) -> str:
    """Hash the canonical body: items sorted by product id, so their order does not matter."""
    canonical = sorted((item.product_id, item.quantity) for item in items)
    return hashlib.sha256(json.dumps(canonical, separators=(",", ":")).encode()).hexdigest()


async def place_order(
    placement: OrderPlacement, *, user_id: UUID, idempotency_key: str, items: list[OrderItem]
) -> Order:
    """Place the order, or replay the result of the first request with this key."""
    body_hash = request_hash(items)
    order_id = uuid4()

    inserted = await repository.insert_order(
        placement.pool,
        order_id=order_id,
        user_id=user_id,
        idempotency_key=idempotency_key,
        request_hash=body_hash,
        items=items,
    )
    if not inserted:
        return await _replay(placement, user_id=user_id, key=idempotency_key, body_hash=body_hash)

    logger.info("order created", extra={"order_id": str(order_id), "user_id": str(user_id)})
    return await _reserve_and_settle(placement, order_id=order_id, items=items)


def settled_result(order: Order) -> Order:
    """Return the order if it was placed; raise the error a client gets otherwise."""
    if order.status is OrderStatus.PENDING:
        raise errors.request_in_progress(order.id)
    if order.status in (OrderStatus.REJECTING, OrderStatus.REJECTED):
        raise errors.app_error(order.error)
    return order


async def _replay(placement: OrderPlacement, *, user_id: UUID, key: str, body_hash: str) -> Order:
    order = await repository.find_order_by_key(placement.pool, user_id=user_id, idempotency_key=key)
    if order is None:
        # The insert conflicted on this key, and orders are never deleted.
        raise RuntimeError(f"order for Idempotency-Key {key!r} conflicted but is missing")
    if order.request_hash != body_hash:
        raise errors.idempotency_key_reused()

    logger.info("order request replayed", extra={"order_id": str(order.id)})
    order = await _wait_until_settled(placement, order)
    return settled_result(order)


async def _wait_until_settled(placement: OrderPlacement, order: Order) -> Order:
    deadline = time.monotonic() + placement.settings.idempotency_wait_seconds
    while order.status is OrderStatus.PENDING and time.monotonic() < deadline:
        await asyncio.sleep(_REPLAY_POLL_SECONDS)
        order = await repository.find_order(placement.pool, order_id=order.id)
    return order


async def _reserve_and_settle(
    placement: OrderPlacement, *, order_id: UUID, items: list[OrderItem]
) -> Order:
    try:
        reservation = await placement.product.reserve(order_id=order_id, items=items)
    except ReservationRejected as exc:
        return await _reject(placement, order_id=order_id, rejection=exc)
    except ProductServiceUnavailable as exc:
        error = await _abandon(placement, order_id=order_id, cause=exc)
        if error is None:
            return await _current_result(placement, order_id)
        raise error from exc

    await _pause_for_tests(placement.settings, order_id)

    total = total_cents(items, reservation.prices)
    await repository.confirm_order(
        placement.pool, order_id=order_id, prices=reservation.prices, total_cents=total
    )
    ORDERS.labels("confirmed").inc()
    logger.info("order confirmed", extra={"order_id": str(order_id), "total_cents": total})
    return await _current_result(placement, order_id)


async def _reject(
    placement: OrderPlacement, *, order_id: UUID, rejection: ReservationRejected
) -> Order:
    details = rejection.details if isinstance(rejection.details, dict) else {}
    error = OrderError(
        status=rejection.status,
        code=rejection.code,
        message=rejection.message,
        details={**details, "order_id": str(order_id)},
    )
    await repository.reject_order(placement.pool, order_id=order_id, error=error)

    ORDERS.labels("rejected").inc()
    logger.info("order rejected", extra={"order_id": str(order_id), "error_code": error.code})
    return await _current_result(placement, order_id)


async def _abandon(
    placement: OrderPlacement, *, order_id: UUID, cause: ProductServiceUnavailable
) -> AppError | None:
    """Reject an order whose reservation outcome is unknown; return the client's error.

    The release gives back stock if the reservation landed, and otherwise records it, so
    that a reservation still on its way is refused when it arrives. Return None when the
    recovery loop settled the order first.
    """
    ORDERS.labels("failed").inc()
    logger.warning(
        "stock reservation failed; releasing it",
        extra={"order_id": str(order_id), "error": str(cause)},
    )
    error = errors.product_service_unavailable(order_id)

    try:
        moved = await reject_and_release(
            placement.pool, placement.product, order_id=order_id, error=error
        )
    except ProductServiceUnavailable as exc:
        logger.warning(
            "release failed; the recovery loop will finish the rejection",
            extra={"order_id": str(order_id), "error": str(exc)},
        )
        return errors.app_error(error)

    if not moved:
        logger.info("order settled by the recovery loop first", extra={"order_id": str(order_id)})
        return None
    return errors.app_error(error)


async def _current_result(placement: OrderPlacement, order_id: UUID) -> Order:
    """Return the stored order's result, since the recovery loop may have settled it first."""
    return settled_result(await _find(placement, order_id))


async def _find(placement: OrderPlacement, order_id: UUID) -> Order:
    order = await repository.find_order(placement.pool, order_id=order_id)
    if order is None:
        raise RuntimeError(f"order {order_id} vanished during its saga")
    return order


async def _pause_for_tests(settings: OrderSettings, order_id: UUID) -> None:
    if settings.saga_pause_after_reserve_seconds <= 0:
        return
    logger.warning(
        "saga paused after reservation (test-only fault injection)",
        extra={"order_id": str(order_id), "seconds": settings.saga_pause_after_reserve_seconds},
    )
    await asyncio.sleep(settings.saga_pause_after_reserve_seconds)
