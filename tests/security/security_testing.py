"""Helpers of the security tests: accounts, logins and database snapshots."""

import uuid
from dataclasses import dataclass

import httpx
from devstack.stack import Stack

# Secrets the tests send, so that the log scan can look for them.
USER_PASSWORD = "Correct-Horse-Battery-9f3a"


@dataclass
class Account:
    id: str
    email: str
    password: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def log_in(client: httpx.Client, email: str, password: str) -> str:
    response = client.post("/auth/token", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def register(client: httpx.Client) -> Account:
    """Register a customer through the gateway and log it in."""
    email = f"{uuid.uuid4().hex[:12]}@example.com"
    created = client.post(
        "/users", json={"email": email, "password": USER_PASSWORD, "name": "Test Customer"}
    )
    assert created.status_code == 201, created.text
    return Account(created.json()["id"], email, USER_PASSWORD, log_in(client, email, USER_PASSWORD))


def row_count(stack: Stack, database: str, table: str) -> int:
    return int(stack.postgres.psql(f"SELECT count(*) FROM {table}", database).strip())


def total_stock(stack: Stack) -> int:
    return int(stack.postgres.psql("SELECT sum(stock) FROM products", "shop_product").strip())


def database_snapshot(stack: Stack) -> dict[str, int]:
    """Return row counts of every table the API writes, and the catalog's total stock."""
    return {
        "users": row_count(stack, "shop_user", "users"),
        "products": row_count(stack, "shop_product", "products"),
        "reservations": row_count(stack, "shop_product", "reservations"),
        "orders": row_count(stack, "shop_order", "orders"),
        "order_items": row_count(stack, "shop_order", "order_items"),
        "stock": total_stock(stack),
    }
