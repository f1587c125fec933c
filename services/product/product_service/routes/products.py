"""Catalog routes: list, read, and the admin's create and update."""

from typing import Annotated

import asyncpg
from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import AfterValidator
from servicekit.identity import require_admin
from servicekit.text import NO_NUL_SCHEMA, reject_unstorable

from product_service import repository
from product_service.cache import ProductCache
from product_service.dependencies import Cache, Pool
from product_service.errors import error_responses
from product_service.schemas import (
    MAX_ID,
    ProductCreate,
    ProductPage,
    ProductPublic,
    ProductUpdate,
)

NO_NUL_PATTERN = NO_NUL_SCHEMA["pattern"]

router = APIRouter(prefix="/products", tags=["products"])

# Deep offsets make PostgreSQL read and discard every skipped row.
MAX_OFFSET = 10_000

ProductIdPath = Annotated[int, Path(ge=1, le=MAX_ID)]


def json_response(body: bytes, status_code: int = 200) -> Response:
    return Response(body, status_code=status_code, media_type="application/json")


@router.get("", response_model=ProductPage, responses=error_responses())
async def list_products(
    pool: Pool,
    cache: Cache,
    q: Annotated[
        str | None,
        Query(max_length=100, pattern=NO_NUL_PATTERN),
        AfterValidator(reject_unstorable),
    ] = None,
    category: Annotated[
        str | None,
        Query(min_length=1, max_length=50, pattern=NO_NUL_PATTERN),
        AfterValidator(reject_unstorable),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> Response:
    """List products by id, optionally filtered by name text and category."""
    query = {"q": q or None, "category": category, "limit": limit, "offset": offset}
    cached, version = await cache.read_page(query)
    if cached is not None:
        return json_response(cached)

    rows, total = await repository.list_products(pool, **query)
    page = ProductPage(
        items=[ProductPublic.model_validate(dict(row)) for row in rows],
        total=total,
        limit=limit,
        offset=offset,
    )
    body = page.model_dump_json().encode()

    await cache.store_page(query, body, version)
    return json_response(body)


@router.get("/{product_id}", response_model=ProductPublic, responses=error_responses(404))
async def read_product(product_id: ProductIdPath, pool: Pool, cache: Cache) -> Response:
    """Read one product."""
    return json_response(await product_body(pool, cache, product_id))


async def product_body(pool: asyncpg.Pool, cache: ProductCache, product_id: int) -> bytes:
    """Return the product's JSON from the cache, or from PostgreSQL, filling the cache."""
    cached, version = await cache.read_product(product_id)
    if cached is not None:
        return cached

    row = await repository.fetch_product(pool, product_id=product_id)
    body = ProductPublic.model_validate(dict(row)).model_dump_json().encode()

    await cache.store_product(product_id, body, version)
    return body


@router.post(
    "",
    response_model=ProductPublic,
    status_code=201,
    dependencies=[Depends(require_admin)],
    responses=error_responses(401, 403, 409),
)
async def create_product(product: ProductCreate, pool: Pool, cache: Cache) -> ProductPublic:
    """Create a product (admin only)."""
    row = await repository.insert_product(pool, fields=product.model_dump())

    await cache.invalidate([])
    return ProductPublic.model_validate(dict(row))


@router.patch(
    "/{product_id}",
    response_model=ProductPublic,
    dependencies=[Depends(require_admin)],
    responses=error_responses(401, 403, 404, 409),
)
async def update_product(
    product_id: ProductIdPath, update: ProductUpdate, pool: Pool, cache: Cache
) -> ProductPublic:
    """Change some fields of a product (admin only)."""
    row = await repository.update_product(pool, product_id=product_id, changes=update.changes())

    await cache.invalidate([product_id])
    return ProductPublic.model_validate(dict(row))
