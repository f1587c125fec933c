"""Registration and the caller's profile."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends
from servicekit.identity import require_user_id

from user_service import repository
from user_service.dependencies import PasswordHashing, Pool
from user_service.schemas import UserCreate, UserPublic

router = APIRouter(prefix="/users", tags=["users"])


@router.post("", response_model=UserPublic, status_code=201)
async def create_user(user: UserCreate, pool: Pool, passwords: PasswordHashing) -> UserPublic:
    """Register a customer account."""
    password_hash = await passwords.hash(user.password)

    row = await repository.insert_user(
        pool, email=user.email, name=user.name, password_hash=password_hash
    )
    return UserPublic.model_validate(dict(row))


@router.get("/me", response_model=UserPublic)
async def read_current_user(
    user_id: Annotated[UUID, Depends(require_user_id)], pool: Pool
) -> UserPublic:
    """Read the caller's profile."""
    row = await repository.fetch_user(pool, user_id=user_id)
    return UserPublic.model_validate(dict(row))
