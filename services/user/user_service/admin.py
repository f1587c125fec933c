"""The create-admin command: create an admin account, or promote an existing user."""

import logging

import asyncpg
from pydantic import ValidationError

from user_service import repository
from user_service.passwords import Passwords
from user_service.schemas import UserCreate
from user_service.settings import CommandSettings

logger = logging.getLogger(__name__)


class AdminInputError(ValueError):
    """The email, password or name given to create-admin is invalid."""


def validate_admin(*, email: str, password: str, name: str) -> UserCreate:
    try:
        return UserCreate(email=email, password=password, name=name)
    except ValidationError as exc:
        fields = ", ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
            for error in exc.errors()
        )
        raise AdminInputError(f"Invalid admin account: {fields}") from None


async def create_admin(settings: CommandSettings, admin: UserCreate) -> None:
    passwords = Passwords(settings)
    try:
        password_hash = await passwords.hash(admin.password)
    finally:
        passwords.close()

    connection = await asyncpg.connect(str(settings.database_url))
    try:
        row, created = await repository.upsert_admin(
            connection, email=admin.email, name=admin.name, password_hash=password_hash
        )
    finally:
        await connection.close()

    message = "admin created" if created else "existing user promoted to admin; password unchanged"
    logger.info(message, extra={"user_id": str(row["id"])})
