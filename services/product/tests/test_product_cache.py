"""Cache-aside: reads are served from Redis, and every write makes later reads fresh.

Tests change a row in PostgreSQL behind the service's back: a read that still shows the
old value came from the cache, and one that shows the new value came from PostgreSQL.
"""

import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
import redis
from devstack.ports import free_port
from devstack.redis import RedisServer
from product_testing import ADMIN_HEADERS, database_name, product_env, unique

VERSION_KEY = "product:catalog-version"


@pytest.fixture
def rename_in_database(postgres, database_url):
    """Change a product's name in PostgreSQL without telling the service."""

    def rename(product_id: int, name: str) -> None:
        postgres.psql(
            f"UPDATE products SET name = '{name}' WHERE id = {product_id}",
            database_name(database_url),
        )

    return rename


@pytest.fixture
def redis_client(redis_url) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


def reserve(client, product, *, quantity: int) -> str:
    order_id = str(uuid.uuid4())
    body = {"order_id": order_id, "items": [{"product_id": product["id"], "quantity": quantity}]}
    assert client.post("/internal/reservations", json=body).status_code == 200
    return order_id


def name_of(client, product) -> str:
    return client.get(f"/products/{product['id']}").json()["name"]


def test_read_product_fills_cache(client, create_product, redis_client):
    product = create_product()

    client.get(f"/products/{product['id']}")

    assert redis_client.exists(f"product:item:{product['id']}") == 1


def test_read_product_served_from_cache(client, create_product, rename_in_database):
    product = create_product(name="Cached Name")
    client.get(f"/products/{product['id']}")

    rename_in_database(product["id"], "Changed Behind")

    assert name_of(client, product) == "Cached Name"


def test_update_product_invalidates_cached_product(client, create_product, rename_in_database):
    product = create_product(name="Before")
    client.get(f"/products/{product['id']}")
    rename_in_database(product["id"], "Behind")

    client.patch(f"/products/{product['id']}", json={"stock": 3}, headers=ADMIN_HEADERS)
    fresh = client.get(f"/products/{product['id']}").json()

    assert fresh["name"] == "Behind"
    assert fresh["stock"] == 3


def test_reservation_invalidates_cached_product(client, create_product):
    product = create_product(stock=10)
    client.get(f"/products/{product['id']}")

    reserve(client, product, quantity=4)

    assert client.get(f"/products/{product['id']}").json()["stock"] == 6


def test_release_invalidates_cached_product(client, create_product):
    product = create_product(stock=10)
    order_id = reserve(client, product, quantity=4)
    client.get(f"/products/{product['id']}")

    client.post(f"/internal/reservations/{order_id}/release")

    assert client.get(f"/products/{product['id']}").json()["stock"] == 10


def test_list_page_served_from_cache(client, create_product, rename_in_database):
    category = unique("cached-page")
    product = create_product(category=category, name="Page Name")
    client.get("/products", params={"category": category})

    rename_in_database(product["id"], "Behind")
    page = client.get("/products", params={"category": category}).json()

    assert page["items"][0]["name"] == "Page Name"


def test_any_write_retires_cached_pages(client, create_product, rename_in_database):
    category = unique("retired-page")
    product = create_product(category=category, name="Page Name")
    client.get("/products", params={"category": category})
    rename_in_database(product["id"], "Behind")

    create_product(category=unique("elsewhere"))
    page = client.get("/products", params={"category": category}).json()

    assert page["items"][0]["name"] == "Behind"


@pytest.mark.parametrize("write", ["create", "patch", "reserve", "release"])
def test_write_increments_catalog_version(client, create_product, redis_client, write):
    product = create_product(stock=5)
    before = int(redis_client.get(VERSION_KEY) or 0)

    if write == "create":
        create_product()
    elif write == "patch":
        client.patch(f"/products/{product['id']}", json={"stock": 4}, headers=ADMIN_HEADERS)
    elif write == "reserve":
        reserve(client, product, quantity=1)
    else:
        client.post(f"/internal/reservations/{uuid.uuid4()}/release")

    after = int(redis_client.get(VERSION_KEY) or 0)
    expected = before if write == "release" else before + 1
    assert after == expected


@pytest.fixture
def lonely_redis() -> Iterator[RedisServer]:
    """A Redis server of this test's own, so stopping it disturbs no other test."""
    server = RedisServer(free_port())
    server.start()
    yield server
    server.stop()


def test_redis_down_reads_answer_from_postgres(postgres, start_service, lonely_redis):
    database_url = postgres.create_database("product_redis_down", recreate=True)
    service = start_service("product_service", product_env(database_url, lonely_redis.url(0)))
    with httpx.Client(base_url=service.url, timeout=10.0) as client:
        body = {"sku": unique("SKU"), "name": "Lamp", "category": "c", "price_cents": 1, "stock": 2}
        product = client.post("/products", json=body, headers=ADMIN_HEADERS).json()
        client.get(f"/products/{product['id']}")

        lonely_redis.stop()
        started = time.monotonic()
        read = client.get(f"/products/{product['id']}")
        listing = client.get("/products", params={"category": "c"})
        patch = client.patch(
            f"/products/{product['id']}", json={"name": "Renamed"}, headers=ADMIN_HEADERS
        )
        reread = client.get(f"/products/{product['id']}")
        elapsed = time.monotonic() - started
        ready = client.get("/readyz")

    assert read.status_code == 200
    assert listing.json()["total"] == 1
    assert patch.status_code == 200
    assert reread.json()["name"] == "Renamed"
    assert ready.status_code == 200
    assert elapsed < 2.0
    assert "cache read failed" in service.logs()
    assert "cache invalidation failed" in service.logs()
