"""Drive one gateway endpoint at a time and measure every service's CPU time per request.

The client runs in this process on threads; its own CPU time is not counted, because only
the service processes' /proc counters are read.
"""

import random
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx

from loadtest.procstat import cpu_seconds

API = "/api/v1"
# Concurrent connections per endpoint: enough to keep one service process busy.
CONCURRENCY = 8
# Upper bound of each endpoint's run, whatever the request count.
MAX_SECONDS_PER_ENDPOINT = 30.0
# Warm-up requests before measuring: caches filled, connections open.
WARMUP_REQUESTS = 20


@dataclass
class Session:
    """A registered shopper with a token, and catalog data for building requests."""

    product_ids: list[int]
    words: list[str]
    categories: list[str]
    auth: dict[str, str]
    # Email and password of the shopper, for the login endpoint.
    login: dict[str, str]


Request = Callable[[httpx.Client, Session], httpx.Response]


def _email() -> str:
    return f"capacity-{uuid.uuid4().hex[:12]}@example.com"


def _register(client: httpx.Client, session: Session) -> httpx.Response:
    body = {"email": _email(), "password": uuid.uuid4().hex, "name": "Capacity Shopper"}
    return client.post(f"{API}/users", json=body)


def _log_in(client: httpx.Client, session: Session) -> httpx.Response:
    return client.post(f"{API}/auth/token", json=session.login)


def _order(client: httpx.Client, session: Session) -> httpx.Response:
    items = [{"product_id": random.choice(session.product_ids), "quantity": 1}]
    headers = {**session.auth, "Idempotency-Key": str(uuid.uuid4())}
    return client.post(f"{API}/orders", json={"items": items}, headers=headers)


# Endpoint names match the locustfile's route templates. The second value scales the
# request count: registration and login hash a password on purpose, so they get fewer.
ENDPOINTS: dict[str, tuple[Request, float]] = {
    f"GET {API}/products": (
        lambda c, s: c.get(f"{API}/products?limit=20&offset={random.randrange(0, 200)}"), 1.0),
    f"GET {API}/products?q=[term]": (
        lambda c, s: c.get(f"{API}/products", params={"q": random.choice(s.words)}), 1.0),
    f"GET {API}/products?category=[name]": (
        lambda c, s: c.get(f"{API}/products",
                           params={"category": random.choice(s.categories), "limit": 20}), 1.0),
    f"GET {API}/products/[id]": (
        lambda c, s: c.get(f"{API}/products/{random.choice(s.product_ids)}"), 1.0),
    f"POST {API}/users": (_register, 0.2),
    f"POST {API}/auth/token": (_log_in, 0.2),
    f"GET {API}/users/me": (lambda c, s: c.get(f"{API}/users/me", headers=s.auth), 1.0),
    f"POST {API}/orders": (_order, 0.5),
    f"GET {API}/orders?list": (
        lambda c, s: c.get(f"{API}/orders?limit=10", headers=s.auth), 1.0),
}


def open_session(client: httpx.Client) -> Session:
    """Register and log in one shopper and load catalog data."""
    page = client.get(f"{API}/products?limit=100").raise_for_status().json()
    items = page["items"]
    login = {"email": _email(), "password": uuid.uuid4().hex}
    client.post(f"{API}/users", json={**login, "name": "Capacity Shopper"}).raise_for_status()
    token = client.post(f"{API}/auth/token", json=login).raise_for_status().json()
    session = Session(
        product_ids=[item["id"] for item in items],
        words=sorted({item["name"].split()[0].lower() for item in items}),
        categories=sorted({item["category"] for item in items}),
        auth={"Authorization": f"Bearer {token['access_token']}"},
        login=login,
    )
    return session


def _drive(base_url: str, session: Session, request: Request, count: int) -> tuple[int, int]:
    """Send `count` requests on CONCURRENCY connections; return (sent, failed)."""
    deadline = time.monotonic() + MAX_SECONDS_PER_ENDPOINT
    per_worker = max(1, count // CONCURRENCY)

    def worker(_: int) -> tuple[int, int]:
        sent = failed = 0
        with httpx.Client(base_url=base_url, timeout=10.0) as client:
            while sent < per_worker and time.monotonic() < deadline:
                response = request(client, session)
                sent += 1
                failed += response.status_code >= 500 or response.status_code == 429
        return sent, failed

    with ThreadPoolExecutor(CONCURRENCY) as pool:
        results = list(pool.map(worker, range(CONCURRENCY)))
    return sum(r[0] for r in results), sum(r[1] for r in results)


def measure_endpoints(base_url: str, pids: dict[str, int], requests: int) -> dict[str, dict]:
    """Return, per endpoint, the CPU seconds per request of each service process."""
    with httpx.Client(base_url=base_url, timeout=10.0) as client:
        session = open_session(client)

    results = {}
    for name, (request, share) in ENDPOINTS.items():
        _drive(base_url, session, request, WARMUP_REQUESTS)
        before = {service: cpu_seconds(pid) for service, pid in pids.items()}
        started = time.monotonic()
        sent, failed = _drive(base_url, session, request, max(CONCURRENCY, int(requests * share)))
        elapsed = time.monotonic() - started
        after = {service: cpu_seconds(pid) for service, pid in pids.items()}
        results[name] = {
            "requests": sent,
            "failed": failed,
            "requests_per_second": sent / elapsed if elapsed else 0.0,
            "cpu_seconds_per_request": {
                service: (after[service] - before[service]) / sent for service in pids
            },
        }
    return results
