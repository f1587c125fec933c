"""The recovery loop: settles orders that a crash or an outage left pending or cancelling.

Each pass claims a batch of such orders (see repository.claim_unsettled_orders, which lets
several replicas run the loop at once) and reads each order's reservation from the product service:
- pending, reservation reserved: confirm the order with the reserved prices;
- pending, reservation missing or released: store the rejection (`reservation_failed`), then
  release, which records a tombstone so a late reservation is refused (see rejection.py);
- rejecting: release the stock, then mark the order rejected;
- cancelling: release the stock, then mark the order cancelled.
When the product service is unreachable the order is left for a later pass.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg
from servicekit.errors import AppError

from order_service import repository
from order_service.cancellation import release_and_cancel
from order_service.domain import Order, OrderError, OrderStatus, total_cents
from order_service.metrics import RECOVERY_ACTIONS
from order_service.product_client import ProductClient, ProductServiceUnavailable
from order_service.rejection import finish_rejection, reject_and_release
from order_service.settings import OrderSettings

logger = logging.getLogger(__name__)

# Maximum wait at shutdown for a pass in progress before it is cancelled. Cancelling a
# pass is safe because every status change is a single conditional UPDATE.
_STOP_TIMEOUT_SECONDS = 5.0


@contextlib.asynccontextmanager
async def run_recovery(
    pool: asyncpg.Pool, product: ProductClient, settings: OrderSettings
) -> AsyncIterator[None]:
    """Run the recovery loop in the background while the context is open."""
    stop = asyncio.Event()
    task = asyncio.create_task(_loop(pool, product, settings, stop), name="order-recovery")
    try:
        yield
    finally:
        stop.set()
        try:
            await asyncio.wait_for(task, _STOP_TIMEOUT_SECONDS)
        except TimeoutError:
            logger.warning("recovery pass cancelled at shutdown")


async def _loop(
    pool: asyncpg.Pool, product: ProductClient, settings: OrderSettings, stop: asyncio.Event
) -> None:
    logger.info(
        "recovery loop started",
        extra={
            "interval_seconds": settings.recovery_interval_seconds,
            "min_age_seconds": settings.recovery_min_age_seconds,
        },
    )
    min_age = timedelta(seconds=settings.recovery_min_age_seconds)

    while not stop.is_set():
        try:
            await recover_orders(
                pool,
                product,
                min_age=min_age,
                lease=timedelta(seconds=settings.recovery_lease_seconds),
                limit=settings.recovery_batch_size,
            )
        except AppError as exc:
            logger.warning("recovery pass failed; retrying next pass", extra={"error": exc.message})
        except Exception:
            logger.exception("recovery pass failed unexpectedly; retrying next pass")

        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), settings.recovery_interval_seconds)
    logger.info("recovery loop stopped")


async def recover_orders(
    pool: asyncpg.Pool, product: ProductClient, *, min_age: timedelta, lease: timedelta, limit: int
) -> int:
    """Run one pass; return the number of orders claimed."""
    orders = await repository.claim_unsettled_orders(
        pool, min_age=min_age, lease=lease, limit=limit
    )
    for order in orders:
        try:
            await _recover_order(pool, product, order)
        except ProductServiceUnavailable as exc:
            RECOVERY_ACTIONS.labels("deferred").inc()
            logger.warning(
                "recovery: product service unavailable; retrying next pass",
                extra={"order_id": str(order.id), "status": order.status.value, "error": str(exc)},
            )
            await repository.end_recovery_lease(pool, order_id=order.id)
    return len(orders)


async def _recover_order(pool: asyncpg.Pool, product: ProductClient, order: Order) -> None:
    logger.info(
        "recovery: settling order",
        extra={"order_id": str(order.id), "status": order.status.value},
    )
    if order.status is OrderStatus.CANCELLING:
        await _finish_cancellation(pool, product, order)
    elif order.status is OrderStatus.REJECTING:
        rejected = await finish_rejection(pool, product, order_id=order.id)
        _record(order, "rejected", moved=rejected)
    else:
        await _settle_pending(pool, product, order)


async def _finish_cancellation(pool: asyncpg.Pool, product: ProductClient, order: Order) -> None:
    cancelled = await release_and_cancel(pool, product, order_id=order.id)
    _record(order, "cancelled", moved=cancelled)


async def _settle_pending(pool: asyncpg.Pool, product: ProductClient, order: Order) -> None:
    reservation = await product.find_reservation(order_id=order.id)
    priced = reservation is not None and all(
        item.product_id in reservation.prices for item in order.items
    )

    if reservation is not None and reservation.status == "reserved" and priced:
        confirmed = await repository.confirm_order(
            pool,
            order_id=order.id,
            prices=reservation.prices,
            total_cents=total_cents(order.items, reservation.prices),
        )
        _record(order, "confirmed", moved=confirmed)
        return

    rejected = await reject_and_release(pool, product, order_id=order.id, error=_failure(order))
    _record(order, "rejected", moved=rejected)


def _failure(order: Order) -> OrderError:
    # 409 rather than 503: a retry with the same Idempotency-Key cannot succeed.
    return OrderError(
        status=409,
        code="reservation_failed",
        message=(
            "The stock reservation did not complete, so the order was not placed;"
            " retry with a new Idempotency-Key."
        ),
        details={"order_id": str(order.id)},
    )


def _record(order: Order, action: str, *, moved: bool) -> None:
    if not moved:
        logger.info(
            "recovery: order already settled by another actor",
            extra={"order_id": str(order.id), "action": action},
        )
        return
    RECOVERY_ACTIONS.labels(action).inc()
    logger.info("recovery: order settled", extra={"order_id": str(order.id), "action": action})
