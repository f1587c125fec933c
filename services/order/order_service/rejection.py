"""Rejecting an order that may hold stock: pending -> rejecting -> (released) -> rejected.

The rejection is stored before the release. Confirming needs status 'pending', so once an
order is rejecting no actor can confirm it, and the release cannot leave a confirmed order
without its stock. A crash or an unreachable product service leaves a rejecting order that
the recovery loop finishes.
"""

import logging
from uuid import UUID

import asyncpg

from order_service import repository
from order_service.domain import OrderError, OrderStatus
from order_service.product_client import ProductClient

logger = logging.getLogger(__name__)


async def reject_and_release(
    pool: asyncpg.Pool, product: ProductClient, *, order_id: UUID, error: OrderError
) -> bool:
    """Reject a pending order and release its stock; return False if it was not pending.

    Raises ProductServiceUnavailable when the release fails; the order stays rejecting.
    """
    moved = await repository.reject_order(
        pool, order_id=order_id, error=error, new=OrderStatus.REJECTING
    )
    if not moved:
        return False
    await finish_rejection(pool, product, order_id=order_id)
    return True


async def finish_rejection(pool: asyncpg.Pool, product: ProductClient, *, order_id: UUID) -> bool:
    """Release a rejecting order's stock, then mark it rejected; False if another actor did."""
    await product.release(order_id=order_id)
    rejected = await repository.change_status(
        pool, order_id=order_id, expected=OrderStatus.REJECTING, new=OrderStatus.REJECTED
    )
    if rejected:
        logger.info("order rejected", extra={"order_id": str(order_id)})
    return rejected
