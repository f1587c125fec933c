"""Fixtures of the security tests: one whole stack for the session, users and tokens on it.

The stack runs with a rate limit that no test here reaches, because schemathesis and the
bad-input tests send hundreds of requests from one address. The rate-limit tests start
their own gateways with a small limit.
"""

import uuid
from collections.abc import Iterator

import httpx
import pytest
from devstack.stack import ADMIN_EMAIL, Stack, StackConfig
from security_testing import Account, log_in, register

UNLIMITED = {"RATE_LIMIT_PER_MINUTE": "1000000", "RATE_LIMIT_BURST": "1000000"}


@pytest.fixture(scope="session")
def stack(tmp_path_factory) -> Iterator[Stack]:
    config = StackConfig.from_env(
        gateway_port=0,
        user_port=0,
        product_port=0,
        order_port=0,
        seed_count=50,
        access_log=True,
        log_dir=tmp_path_factory.mktemp("stack-logs"),
        service_env=UNLIMITED,
    )
    shop = Stack(config)
    shop.start()
    yield shop
    shop.stop()


@pytest.fixture(scope="session")
def gateway(stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{stack.gateway_url}/api/v1", timeout=10.0) as client:
        yield client


@pytest.fixture(scope="session")
def customer(gateway) -> Account:
    return register(gateway)


@pytest.fixture(scope="session")
def admin(stack, gateway) -> Account:
    token = log_in(gateway, ADMIN_EMAIL, stack.admin_password)
    profile = gateway.get("/users/me", headers={"Authorization": f"Bearer {token}"})
    return Account(profile.json()["id"], ADMIN_EMAIL, stack.admin_password, token)


@pytest.fixture(scope="session")
def stocked_product(gateway, admin) -> int:
    """Return the id of a product with stock that no test uses up; fuzzing may empty others."""
    body = {
        "sku": f"STOCKED-{uuid.uuid4().hex[:8]}",
        "name": "Stocked probe",
        "category": "probe",
        "price_cents": 250,
        "stock": 1_000_000,
    }
    response = gateway.post("/products", json=body, headers=admin.headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]
