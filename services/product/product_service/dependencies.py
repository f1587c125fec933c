"""FastAPI dependencies that hand routes the resources opened in the lifespan."""

from typing import Annotated

import asyncpg
from fastapi import Depends, Request

from product_service.cache import ProductCache


async def get_pool(request: Request) -> asyncpg.Pool:
    return request.app.state.pool


async def get_cache(request: Request) -> ProductCache:
    return request.app.state.cache


Pool = Annotated[asyncpg.Pool, Depends(get_pool)]
Cache = Annotated[ProductCache, Depends(get_cache)]
