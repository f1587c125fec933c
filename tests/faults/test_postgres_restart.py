"""PostgreSQL restarted under load: fast 503s meanwhile, then recovery without a restart."""

import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from devstack.ports import free_port
from devstack.postgres import PostgresServer
from devstack.pytest_plugin import next_redis_url
from fault_testing import RequestLoop, register_user, user_env

pytestmark = pytest.mark.slow

DOWNTIME_SECONDS = 3.0
# A request while the database is down must fail this fast, or callers pile up.
MAX_REQUEST_SECONDS = 2.0


@pytest.fixture
def restartable_postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL of this test's own, since restarting the session one breaks others."""
    server = PostgresServer(free_port(), max_connections=50)
    server.start()
    yield server
    server.stop()


class ReadinessProbe:
    """Polls /readyz every 0.1 s from a thread, like a kubelet with a short period."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.results: list[tuple[float, int | None]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "ReadinessProbe":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        with httpx.Client(timeout=2.0) as client:
            while not self._stop.is_set():
                try:
                    status = client.get(f"{self.url}/readyz").status_code
                except httpx.HTTPError:
                    status = None
                self.results.append((time.monotonic(), status))
                self._stop.wait(0.1)

    def first(self, status_is_ok: bool, after: float) -> float | None:
        for moment, status in self.results:
            if moment >= after and (status == 200) == status_is_ok:
                return moment
        return None


def test_postgres_restart_service_recovers(restartable_postgres, redis_server, start_service):
    database_url = restartable_postgres.create_database("faults_user")
    service = start_service("user_service", user_env(database_url, next_redis_url(redis_server)))
    pid = service.process.pid
    user = register_user(service.url)
    headers = {"X-User-ID": user["id"]}

    def read_profile(client: httpx.Client) -> httpx.Response:
        return client.get(f"{service.url}/users/me", headers=headers)

    with ReadinessProbe(service.url) as probe, RequestLoop(read_profile) as load:
        time.sleep(0.5)
        stopped_at = time.monotonic()
        restartable_postgres.restart(downtime=DOWNTIME_SECONDS)
        back_at = time.monotonic()
        ready_again = None
        deadline = back_at + 30
        while ready_again is None and time.monotonic() < deadline:
            time.sleep(0.1)
            ready_again = probe.first(status_is_ok=True, after=back_at)
        time.sleep(0.5)

    not_ready_at = probe.first(status_is_ok=False, after=stopped_at)
    during = [s for s in load.samples if stopped_at <= s.started < back_at]
    after = [s for s in load.samples if ready_again and s.started > ready_again]
    statuses = sorted({s.status for s in during}, key=str)
    slowest = max((s.seconds for s in during), default=0.0)
    print(
        f"\npostgres down {back_at - stopped_at:.1f} s; readiness false after "
        f"{(not_ready_at or 0) - stopped_at:.2f} s; ready again {(ready_again or 0) - back_at:.2f}"
        f" s after postgres was back; {len(during)} requests while down, statuses "
        f"{statuses}, slowest {slowest:.2f} s"
    )

    assert not_ready_at is not None
    assert not_ready_at - stopped_at < 5.0
    assert ready_again is not None
    assert ready_again - back_at < 30.0
    assert during
    assert all(s.error is None for s in during), [s.error for s in during if s.error]
    assert {s.status for s in during} <= {200, 503}
    assert slowest < MAX_REQUEST_SECONDS
    assert after
    assert all(s.status == 200 for s in after)
    assert service.process.pid == pid
    assert service.running()
