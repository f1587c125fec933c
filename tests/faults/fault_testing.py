"""Helpers for the fault tests: service environments, users, and timed request loops."""

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
from devstack.pytest_plugin import TEST_JWT_SECRET, service_env

PASSWORD = "fault-test-password-42"


@dataclass
class Sample:
    """One request's outcome: when it started, how long it took, and status or error."""

    started: float
    seconds: float
    status: int | None
    error: str | None = None
    body: str = ""


@dataclass
class RequestLoop:
    """Sends one request after another from a thread until stopped; records every outcome.

    Each request has a client timeout, so a hang shows as an error, not a stuck test.
    """

    send: Callable[[httpx.Client], httpx.Response]
    timeout: float = 5.0
    pause: float = 0.02
    max_requests: int = 5000
    samples: list[Sample] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "RequestLoop":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join(self.timeout + 5)

    def _run(self) -> None:
        with httpx.Client(timeout=self.timeout) as client:
            while not self._stop.is_set() and len(self.samples) < self.max_requests:
                started = time.monotonic()
                body = ""
                try:
                    response = self.send(client)
                    status, error = response.status_code, None
                    if status >= 400:
                        body = response.text[:300]
                except httpx.HTTPError as exc:
                    status, error = None, type(exc).__name__
                elapsed = time.monotonic() - started
                self.samples.append(Sample(started, elapsed, status, error, body))
                self._stop.wait(self.pause)


def user_env(database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    settings = {"database_url": database_url, "redis_url": redis_url, "jwt_secret": TEST_JWT_SECRET}
    return service_env("user", **{**settings, **extra})


def register_user(url: str, prefix: str = "") -> dict:
    """Register a user directly at a user service (or through a gateway with prefix)."""
    body = {"email": f"{uuid.uuid4().hex[:12]}@example.com", "password": PASSWORD, "name": "F"}
    response = httpx.post(f"{url}{prefix}/users", json=body, timeout=10)
    assert response.status_code == 201, response.text
    return {**response.json(), "password": PASSWORD}


def wait_until(condition: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return False
