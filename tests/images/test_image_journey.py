"""The four images with PostgreSQL and Redis serve a user journey through the gateway."""

import uuid
from collections.abc import Iterator

import httpx
import pytest
from devstack.ports import free_port
from image_harness import ServiceContainer, run_command

pytestmark = pytest.mark.slow

SEED_COUNT = 50


@pytest.fixture(scope="module")
def gateway_url(store_env) -> Iterator[str]:
    """Migrate and seed with the images' own commands, start all four, yield the gateway URL."""
    for service in ("user", "product", "order"):
        run_command(service, store_env[service], "migrate")
    run_command("product", store_env["product"], "seed", "--count", str(SEED_COUNT))

    ports = {service: free_port() for service in ("user", "product", "order", "gateway")}
    urls = {service: f"http://127.0.0.1:{port}" for service, port in ports.items()}
    env = {
        "user": store_env["user"],
        "product": store_env["product"],
        "order": {**store_env["order"], "PRODUCT_SERVICE_URL": urls["product"]},
        "gateway": {
            **store_env["gateway"],
            "USER_SERVICE_URL": urls["user"],
            "PRODUCT_SERVICE_URL": urls["product"],
            "ORDER_SERVICE_URL": urls["order"],
        },
    }
    started = [ServiceContainer(service, env[service], port=ports[service]) for service in ports]
    try:
        for container in started:
            container.start()
        for container in started:
            container.wait_ready()
        yield urls["gateway"]
    finally:
        for container in started:
            container.remove()


@pytest.fixture(scope="module")
def client(gateway_url) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{gateway_url}/api/v1", timeout=10.0) as http:
        yield http


def test_gateway_journey_register_login_order(client):
    email = f"journey-{uuid.uuid4().hex[:8]}@example.com"
    password = "correct horse battery staple"

    registered = client.post(
        "/users", json={"email": email, "password": password, "name": "Journey Tester"}
    )
    assert registered.status_code == 201, registered.text

    login = client.post("/auth/token", json={"email": email, "password": password})
    assert login.status_code == 200, login.text
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}

    catalog = client.get("/products", params={"limit": 5})
    assert catalog.status_code == 200, catalog.text
    assert catalog.json()["total"] >= SEED_COUNT
    product = next(item for item in catalog.json()["items"] if item["stock"] >= 2)

    created = client.post(
        "/orders",
        json={"items": [{"product_id": product["id"], "quantity": 2}]},
        headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert created.status_code == 201, created.text
    order = created.json()
    assert order["total_cents"] == 2 * product["price_cents"]

    read = client.get(f"/orders/{order['id']}", headers=headers)
    assert read.status_code == 200, read.text
    assert read.json()["id"] == order["id"]
    assert read.json()["items"] == order["items"]
