"""FastAPI dependencies that hand routes the resources opened in the lifespan."""

from typing import Annotated

import asyncpg
from fastapi import Depends, Request

from user_service.passwords import Passwords
from user_service.revocations import Revocations
from user_service.settings import Settings


async def get_pool(request: Request) -> asyncpg.Pool:
    return request.app.state.pool


async def get_passwords(request: Request) -> Passwords:
    return request.app.state.passwords


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_revocations(request: Request) -> Revocations:
    return request.app.state.revocations


Pool = Annotated[asyncpg.Pool, Depends(get_pool)]
PasswordHashing = Annotated[Passwords, Depends(get_passwords)]
AppSettings = Annotated[Settings, Depends(get_settings)]
TokenRevocations = Annotated[Revocations, Depends(get_revocations)]
