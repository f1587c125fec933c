"""Internal stock reservation routes, called by the order service."""

from uuid import UUID

from fastapi import APIRouter

from product_service import reservation_repository
from product_service.dependencies import Cache, Pool
from product_service.errors import error_responses
from product_service.reservation_repository import Reservation
from product_service.schemas import ReservationPublic, ReservationRequest

router = APIRouter(prefix="/internal/reservations", tags=["reservations"])


def to_public(reservation: Reservation) -> ReservationPublic:
    return ReservationPublic(
        order_id=reservation.order_id, status=reservation.status, items=reservation.items
    )


@router.post("", response_model=ReservationPublic, responses=error_responses(404, 409))
async def create_reservation(
    request: ReservationRequest, pool: Pool, cache: Cache
) -> ReservationPublic:
    """Reserve stock for all items of an order, or none; repeats return the first result."""
    reservation = await reservation_repository.reserve(
        pool, order_id=request.order_id, items=request.items
    )

    if reservation.changed_stock:
        await cache.invalidate(reservation.product_ids)
    return to_public(reservation)


@router.post("/{order_id}/release", response_model=ReservationPublic, responses=error_responses())
async def release_reservation(order_id: UUID, pool: Pool, cache: Cache) -> ReservationPublic:
    """Return an order's reserved stock once; later reservations for the order are rejected."""
    reservation = await reservation_repository.release(pool, order_id=order_id)

    if reservation.changed_stock:
        await cache.invalidate(reservation.product_ids)
    return to_public(reservation)


@router.get("/{order_id}", response_model=ReservationPublic, responses=error_responses(404))
async def read_reservation(order_id: UUID, pool: Pool) -> ReservationPublic:
    """Read an order's reservation."""
    reservation = await reservation_repository.fetch_reservation(pool, order_id=order_id)
    return to_public(reservation)
