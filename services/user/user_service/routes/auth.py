"""Login: exchange an email and password for an access token."""

import logging

from fastapi import APIRouter

from user_service import errors, repository
from user_service.dependencies import AppSettings, PasswordHashing, Pool
from user_service.schemas import TokenPublic, TokenRequest
from user_service.tokens import issue_access_token

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/token", response_model=TokenPublic, responses=errors.error_responses(401))
async def create_token(
    credentials: TokenRequest, pool: Pool, passwords: PasswordHashing, settings: AppSettings
) -> TokenPublic:
    """Log in with email and password and receive a bearer access token."""
    user = await repository.find_credentials(pool, email=credentials.email)
    if user is None:
        await passwords.verify_dummy(credentials.password)
        raise errors.invalid_credentials()

    if not await passwords.verify(user["password_hash"], credentials.password):
        raise errors.invalid_credentials()

    if passwords.needs_rehash(user["password_hash"]):
        new_hash = await passwords.hash(credentials.password)
        await repository.update_password_hash(pool, user_id=user["id"], password_hash=new_hash)
        logger.info("password rehashed with current parameters", extra={"user_id": str(user["id"])})

    token = issue_access_token(
        user_id=user["id"],
        role=user["role"],
        secret=settings.jwt_secret.get_secret_value(),
        ttl_seconds=settings.access_token_ttl_seconds,
    )
    return TokenPublic(access_token=token, expires_in=settings.access_token_ttl_seconds)
