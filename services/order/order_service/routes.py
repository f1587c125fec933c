"""HTTP routes of the order API; the caller is the user in X-User-ID."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Request
from servicekit.identity import require_user_id

from order_service import repository
from order_service.cancellation import cancel_order as cancel_user_order
from order_service.errors import IDEMPOTENCY_KEY_HEADER, error_responses, order_not_found
from order_service.saga import OrderPlacement, place_order
from order_service.schemas import OrderCreate, OrderList, OrderPublic

router = APIRouter(prefix="/orders", tags=["orders"])

UserId = Annotated[UUID, Depends(require_user_id)]

# Deep offsets make PostgreSQL read and discard every skipped row; the bound also keeps the
# value inside the bigint that OFFSET takes.
MAX_OFFSET = 10_000

# 1 to 255 visible ASCII characters (0x21-0x7E): no spaces, no control characters.
IdempotencyKey = Annotated[
    str,
    Header(alias=IDEMPOTENCY_KEY_HEADER, min_length=1, max_length=255, pattern=r"^[!-~]+$"),
]


# 404 and 409: an unknown product or too little stock, or the same key still in progress.
@router.post("", status_code=201, response_model=OrderPublic, responses=error_responses(404, 409))
async def create_order(
    body: OrderCreate, request: Request, user_id: UserId, idempotency_key: IdempotencyKey
) -> OrderPublic:
    """Place an order: reserve the items' stock and confirm it at the current prices."""
    placement = OrderPlacement(
        pool=request.app.state.pool,
        product=request.app.state.product,
        settings=request.app.state.settings,
    )
    order = await place_order(
        placement, user_id=user_id, idempotency_key=idempotency_key, items=body.order_items()
    )
    return OrderPublic.from_order(order)


@router.get("", response_model=OrderList, responses=error_responses())
async def list_orders(
    request: Request,
    user_id: UserId,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> OrderList:
    """List the caller's orders, newest first."""
    orders, total = await repository.list_orders(
        request.app.state.pool, user_id=user_id, limit=limit, offset=offset
    )
    items = [OrderPublic.from_order(order) for order in orders]
    return OrderList(items=items, total=total, limit=limit, offset=offset)


@router.get("/{order_id}", response_model=OrderPublic, responses=error_responses(404))
async def read_order(order_id: UUID, request: Request, user_id: UserId) -> OrderPublic:
    """Read one of the caller's orders."""
    order = await repository.find_order(request.app.state.pool, order_id=order_id, user_id=user_id)
    if order is None:
        raise order_not_found(order_id)
    return OrderPublic.from_order(order)


@router.post("/{order_id}/cancel", response_model=OrderPublic, responses=error_responses(404, 409))
async def cancel_order(order_id: UUID, request: Request, user_id: UserId) -> OrderPublic:
    """Cancel a confirmed order and give its stock back; repeating it is harmless."""
    order = await cancel_user_order(
        request.app.state.pool, request.app.state.product, user_id=user_id, order_id=order_id
    )
    return OrderPublic.from_order(order)
