"""Registration, the caller's profile and account deletion."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Response
from servicekit.errors import AppError
from servicekit.identity import require_user_id

from user_service import repository
from user_service.dependencies import PasswordHashing, Pool, TokenRevocations
from user_service.errors import error_responses
from user_service.schemas import UserCreate, UserPublic

router = APIRouter(prefix="/users", tags=["users"])


@router.post("", response_model=UserPublic, status_code=201, responses=error_responses(409))
async def create_user(user: UserCreate, pool: Pool, passwords: PasswordHashing) -> UserPublic:
    """Register a customer account."""
    password_hash = await passwords.hash(user.password)

    row = await repository.insert_user(
        pool, email=user.email, name=user.name, password_hash=password_hash
    )
    return UserPublic.model_validate(dict(row))


@router.get("/me", response_model=UserPublic, responses=error_responses(401, 404))
async def read_current_user(
    user_id: Annotated[UUID, Depends(require_user_id)], pool: Pool
) -> UserPublic:
    """Read the caller's profile."""
    row = await repository.fetch_user(pool, user_id=user_id)
    return UserPublic.model_validate(dict(row))


@router.delete("/me", status_code=204, responses=error_responses(401, 404))
async def delete_current_user(
    user_id: Annotated[UUID, Depends(require_user_id)], pool: Pool, revocations: TokenRevocations
) -> Response:
    """Delete the caller's account; its access tokens stop working at the gateway."""
    # Revoke first: a deleted account whose tokens still pass the gateway could go on
    # placing orders, while a revocation without a deletion is undone below.
    await revocations.revoke(user_id)

    try:
        await repository.delete_user(pool, user_id=user_id)
    except AppError as exc:
        if exc.status_code != 404:
            await revocations.withdraw(user_id)
        raise
    return Response(status_code=204)
