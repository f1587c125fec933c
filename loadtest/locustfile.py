"""A traffic mix of real shopper journeys through the gateway.

Each simulated shopper registers and logs in once, then browses, searches, views
products, orders and checks its orders. Task weights give the mix: mostly catalog reads,
as in a real shop, with one order for every ten or so product views.

URLs are grouped by route template (`/api/v1/products/[id]`) so statistics are per
endpoint, not per product id.

A load shape (step, spike, soak, ramp-down; see loadtest/profiles.py) replaces --users and
--spawn-rate when named with `--shape NAME` or LOAD_SHAPE=NAME. When Locust quits, the run
is checked against the SLO (loadtest/slo.py) and the exit code is 1 if it missed it.
"""

import random
import sys
import uuid
from pathlib import Path

from locust import between, events, task
from locust.contrib.fasthttp import FastHttpUser

# Locust puts only this file's folder on sys.path; the repository root makes the
# `loadtest` package importable however Locust was started.
_REPOSITORY_ROOT = str(Path(__file__).resolve().parent.parent)
if _REPOSITORY_ROOT not in sys.path:
    sys.path.insert(0, _REPOSITORY_ROOT)

from loadtest.shapes import selected_shape_name, shape_class  # noqa: E402
from loadtest.slo import (  # noqa: E402
    DEFAULT_MAX_FAILURE_RATIO,
    DEFAULT_MAX_P95_MS,
    SloThresholds,
    violations,
)

API = "/api/v1"
# Locust counts 409 insufficient_stock as a success: selling out is normal shop behaviour.
EXPECTED_ORDER_STATUSES = {201, 409}


class Catalog:
    """Product ids and search words, loaded once per Locust process from the live API."""

    product_ids: list[int] = []
    words: list[str] = []
    categories: list[str] = []

    @classmethod
    def load(cls, client) -> None:
        if cls.product_ids:
            return
        first_url = f"{API}/products?limit=100"
        with client.get(first_url, name=f"{API}/products", catch_response=True) as first:
            page = first.json()
        total = page["total"]
        items = list(page["items"])
        for offset in range(100, min(total, 1000), 100):
            url = f"{API}/products?limit=100&offset={offset}"
            response = client.get(url, name=f"{API}/products")
            items.extend(response.json()["items"])

        cls.product_ids = [item["id"] for item in items]
        cls.words = sorted({word.lower() for item in items for word in item["name"].split()[:2]})
        cls.categories = sorted({item["category"] for item in items})


class Shopper(FastHttpUser):
    # Think time between actions, in seconds, as a person reading pages.
    wait_time = between(0.2, 1.0)

    def on_start(self) -> None:
        Catalog.load(self.client)
        self.email = f"shopper-{uuid.uuid4().hex[:12]}@example.com"
        self.password = uuid.uuid4().hex
        self.order_ids: list[str] = []
        self.register()
        self.log_in()

    def register(self) -> None:
        body = {"email": self.email, "password": self.password, "name": "Load Test Shopper"}
        self.client.post(f"{API}/users", json=body, name=f"{API}/users")

    def log_in(self) -> None:
        body = {"email": self.email, "password": self.password}
        response = self.client.post(f"{API}/auth/token", json=body, name=f"{API}/auth/token")
        token = response.json()["access_token"]
        self.auth = {"Authorization": f"Bearer {token}"}

    @task(10)
    def browse_catalog(self) -> None:
        offset = random.randrange(0, max(1, len(Catalog.product_ids) - 20))
        self.client.get(f"{API}/products?limit=20&offset={offset}", name=f"{API}/products")

    @task(5)
    def search_catalog(self) -> None:
        word = random.choice(Catalog.words)
        self.client.get(f"{API}/products?q={word}", name=f"{API}/products?q=[term]")

    @task(3)
    def filter_by_category(self) -> None:
        category = random.choice(Catalog.categories)
        self.client.get(
            f"{API}/products?category={category}&limit=20", name=f"{API}/products?category=[name]"
        )

    @task(12)
    def view_product(self) -> None:
        product_id = random.choice(Catalog.product_ids)
        self.client.get(f"{API}/products/{product_id}", name=f"{API}/products/[id]")

    @task(3)
    def place_order(self) -> None:
        chosen = random.sample(Catalog.product_ids, k=random.randint(1, 3))
        body = {"items": [{"product_id": pid, "quantity": random.randint(1, 2)} for pid in chosen]}
        headers = {**self.auth, "Idempotency-Key": str(uuid.uuid4())}
        with self.client.post(
            f"{API}/orders", json=body, headers=headers, name=f"{API}/orders", catch_response=True
        ) as response:
            if response.status_code not in EXPECTED_ORDER_STATUSES:
                response.failure(f"unexpected status {response.status_code}: {response.text[:200]}")
                return
            response.success()
            if response.status_code == 201:
                self.order_ids.append(response.json()["id"])

    @task(2)
    def list_orders(self) -> None:
        self.client.get(f"{API}/orders?limit=10", headers=self.auth, name=f"{API}/orders?list")

    @task(2)
    def read_order(self) -> None:
        if self.order_ids:
            order_id = random.choice(self.order_ids)
            self.client.get(
                f"{API}/orders/{order_id}", headers=self.auth, name=f"{API}/orders/[id]"
            )

    @task(1)
    def read_profile(self) -> None:
        self.client.get(f"{API}/users/me", headers=self.auth, name=f"{API}/users/me")

    @task(1)
    def log_in_again(self) -> None:
        self.log_in()


_SHAPE_NAME = selected_shape_name()
if _SHAPE_NAME:
    SelectedShape = shape_class(_SHAPE_NAME)


@events.init_command_line_parser.add_listener
def add_slo_options(parser) -> None:
    parser.add_argument(
        "--slo-max-failure-ratio",
        type=float,
        default=DEFAULT_MAX_FAILURE_RATIO,
        env_var="SLO_MAX_FAILURE_RATIO",
        help="highest share of failed requests (0.01 = 1%%) before the exit code is 1",
    )
    parser.add_argument(
        "--slo-max-p95-ms",
        type=float,
        default=DEFAULT_MAX_P95_MS,
        env_var="SLO_MAX_P95_MS",
        help="highest 95th percentile response time, in ms, before the exit code is 1",
    )


@events.quitting.add_listener
def check_slo(environment, **_kwargs) -> None:
    options = environment.parsed_options
    if options is None:
        return
    thresholds = SloThresholds(options.slo_max_failure_ratio, options.slo_max_p95_ms)
    total = environment.stats.total
    p95 = total.get_response_time_percentile(0.95) if total.num_requests else None
    missed = violations(total.num_requests, total.num_failures, p95, thresholds)

    if missed:
        for message in missed:
            print(f"SLO missed: {message}", file=sys.stderr)
        environment.process_exit_code = 1
    elif not environment.runner.exceptions:
        # Within the SLO, a few failed requests do not fail the run; exceptions in the
        # locustfile itself still do, through Locust's own exit code.
        print("SLO met", file=sys.stderr)
        environment.process_exit_code = 0
