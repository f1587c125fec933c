"""Cancelling a confirmed order: confirmed -> cancelling -> (stock released) -> cancelled.

The cancelling state is stored before the stock is released, so that a crash or an
unreachable product service leaves a record the recovery loop finishes.
"""

import logging
from uuid import UUID

import asyncpg

from order_service import errors, repository
from order_service.domain import Order, OrderStatus
from order_service.product_client import ProductClient, ProductServiceUnavailable

logger = logging.getLogger(__name__)


async def cancel_order(
    pool: asyncpg.Pool, product: ProductClient, *, user_id: UUID, order_id: UUID
) -> Order:
    """Cancel the user's order and give its stock back; cancelling twice is harmless."""
    order = await _find_own(pool, user_id=user_id, order_id=order_id)
    if order.status is OrderStatus.CANCELLED:
        return order
    if order.status in (OrderStatus.PENDING, OrderStatus.REJECTED):
        raise errors.order_not_cancellable(order)

    # A confirmed order only ever moves to cancelling, so whether this update or a
    # concurrent cancel moved it, the order is now cancelling or already cancelled.
    await repository.change_status(
        pool, order_id=order_id, expected=OrderStatus.CONFIRMED, new=OrderStatus.CANCELLING
    )
    try:
        await release_and_cancel(pool, product, order_id=order_id)
    except ProductServiceUnavailable as exc:
        logger.warning(
            "cancel: release failed; the recovery loop will finish the cancellation",
            extra={"order_id": str(order_id), "error": str(exc)},
        )
        raise errors.app_error(errors.product_service_unavailable(order_id)) from exc

    return await _find_own(pool, user_id=user_id, order_id=order_id)


async def release_and_cancel(pool: asyncpg.Pool, product: ProductClient, *, order_id: UUID) -> bool:
    """Release the order's stock, then mark it cancelled; return False if another actor did."""
    await product.release(order_id=order_id)
    cancelled = await repository.change_status(
        pool, order_id=order_id, expected=OrderStatus.CANCELLING, new=OrderStatus.CANCELLED
    )
    if cancelled:
        logger.info("order cancelled", extra={"order_id": str(order_id)})
    return cancelled


async def _find_own(pool: asyncpg.Pool, *, user_id: UUID, order_id: UUID) -> Order:
    order = await repository.find_order(pool, order_id=order_id, user_id=user_id)
    if order is None:
        raise errors.order_not_found(order_id)
    return order
