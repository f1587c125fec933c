"""Fault injection: latency and errors on configured routes, only when enabled by env."""

import json
import time

import httpx
import pytest
from devstack.pytest_plugin import next_redis_url
from test_service_runtime import sample_env

SLOW_NOTES = json.dumps(
    [{"route": "/notes/{note_id}", "method": "POST", "latency_ms": 300, "error_rate": 1.0}]
)
# Headers a client might try in order to switch faults on; none may have any effect.
ATTEMPTED_SWITCHES = {
    "X-Fault-Injection": "true",
    "X-Fault-Injection-Enabled": "true",
    "X-Fault-Injection-Rules": SLOW_NOTES,
}


@pytest.fixture(scope="module")
def database_url(postgres):
    return postgres.create_database("servicekit_faults", recreate=True)


def _post_note(url: str, headers: dict[str, str] | None = None) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = httpx.post(f"{url}/notes/1", json={"text": "hello"}, headers=headers, timeout=10)
    return response, time.monotonic() - started


def test_fault_injection_enabled_delays_and_fails(database_url, redis_server, start_service):
    env = sample_env(
        database_url,
        next_redis_url(redis_server),
        fault_injection_enabled="true",
        fault_injection_rules=SLOW_NOTES,
    )
    service = start_service("sample_service", env)

    response, elapsed = _post_note(service.url)
    other_route = httpx.get(f"{service.url}/slow", params={"seconds": 0}, timeout=10)

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "fault_injected"
    assert elapsed >= 0.3
    assert other_route.status_code == 200
    assert (
        'fault_injections_total{kind="error",route="/notes/{note_id}"} 1.0'
        in httpx.get(f"{service.url}/metrics").text
    )
    assert "fault injection enabled" in service.logs()


def test_fault_injection_disabled_ignores_rules(database_url, redis_server, start_service):
    env = sample_env(database_url, next_redis_url(redis_server), fault_injection_rules=SLOW_NOTES)
    service = start_service("sample_service", env)

    response, elapsed = _post_note(service.url, headers=ATTEMPTED_SWITCHES)

    assert response.status_code == 201
    assert elapsed < 0.3
    assert "fault injection enabled" not in service.logs()


def test_fault_injection_unknown_route_fails_start(database_url, redis_server, start_service):
    rules = json.dumps([{"route": "/no/such/route", "latency_ms": 10}])
    env = sample_env(
        database_url,
        next_redis_url(redis_server),
        fault_injection_enabled="true",
        fault_injection_rules=rules,
    )
    service = start_service("sample_service", env, wait_ready=False)

    exit_code = service.process.wait(30)

    assert exit_code != 0
    assert "FAULT_INJECTION_RULES names unknown routes ['/no/such/route']" in service.logs()
