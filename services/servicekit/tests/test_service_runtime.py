"""servicekit behaviour, checked on a sample service run as a real uvicorn process."""

import json
import threading
import time
from pathlib import Path

import httpx
import pytest
from devstack.ports import free_port
from devstack.process import ServiceProcess
from devstack.pytest_plugin import next_redis_url, service_env

TESTS_DIR = str(Path(__file__).parent)


@pytest.fixture(scope="module")
def database_url(postgres):
    return postgres.create_database("servicekit_sample", recreate=True)


def sample_env(database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    env = service_env("sample", database_url=database_url, redis_url=redis_url, **extra)
    env["PYTHONPATH"] = TESTS_DIR
    env["MAX_BODY_BYTES"] = "2048"
    return env


@pytest.fixture(scope="module")
def sample(database_url, redis_server):
    process = ServiceProcess(
        "sample_service",
        sample_env(database_url, next_redis_url(redis_server)),
        port=free_port(),
        name="sample",
    )
    process.start()
    yield process
    process.kill()


@pytest.fixture
def client(sample):
    with httpx.Client(base_url=sample.url, timeout=5) as client:
        yield client


def log_lines(process: ServiceProcess) -> list[dict]:
    return [json.loads(line) for line in process.logs().splitlines() if line.startswith("{")]


def test_liveness_and_readiness_ok(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"postgres": "ok", "redis": "ok"}


def test_validation_error_names_fields(client):
    response = client.post("/notes/abc", json={"text": ""})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    fields = {item["field"] for item in error["details"]}
    assert fields == {"note_id", "text"}


def test_malformed_json_is_422(client):
    response = client.post(
        "/notes/1", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    assert error["details"] == [{"field": "body", "reason": "Invalid JSON at character 1."}]


def test_trailing_slash_is_404_not_redirect(client):
    response = client.post("/notes/1/", json={"text": "x"}, headers={"Host": "evil.example"})

    assert response.status_code == 404
    assert "location" not in response.headers
    assert response.json()["error"]["code"] == "not_found"


def test_domain_error_uses_envelope(client):
    response = client.post("/notes/0", json={"text": "x"})
    assert response.status_code == 409
    assert response.json() == {
        "error": {"code": "note_exists", "message": "Note 0 exists.", "details": {"note_id": 0}}
    }


def test_unknown_route_is_404_envelope(client):
    response = client.get("/missing")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_unexpected_error_is_500_without_detail(client, sample):
    response = client.get("/crash", headers={"X-Request-ID": "crash-1"})
    assert response.status_code == 500
    assert response.json()["error"] == {
        "code": "internal_error", "message": "Internal server error.", "details": None
    }
    assert "boom" not in response.text
    errors = [line for line in log_lines(sample) if line.get("request_id") == "crash-1"]
    assert any(line["level"] == "ERROR" and "boom" in line.get("exception", "") for line in errors)


def test_body_over_limit_is_413(client):
    response = client.post(
        "/notes/1", content=b"x" * 4096, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["details"] == {"max_bytes": 2048}


def test_chunked_body_over_limit_is_413(client):
    def chunks():
        for _ in range(10):
            yield b"x" * 1024

    response = client.post(
        "/notes/1", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


def test_request_id_echoed_or_generated(client):
    echoed = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"

    generated = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert generated.headers["x-request-id"] != "bad id with spaces"
    assert len(generated.headers["x-request-id"]) == 32

    second = client.get("/healthz")
    assert second.headers["x-request-id"] != generated.headers["x-request-id"]


def test_access_log_is_json_with_request_id(client, sample):
    client.post("/notes/7", json={"text": "hello"}, headers={"X-Request-ID": "log-check-1"})
    lines = [line for line in log_lines(sample) if line.get("request_id") == "log-check-1"]
    access = [line for line in lines if line["logger"] == "access"]
    assert len(access) == 1
    assert access[0]["route"] == "/notes/{note_id}"
    assert access[0]["status"] == 201
    assert access[0]["service"] == "sample"


def test_metrics_labelled_by_route_template(client):
    client.post("/notes/41", json={"text": "a"})
    client.post("/notes/42", json={"text": "b"})
    text = client.get("/metrics").text
    assert 'http_requests_total{method="POST",route="/notes/{note_id}",status="201"}' in text
    assert "/notes/41" not in text
    assert "http_requests_in_flight" in text
    assert "db_pool_max_connections 10.0" in text


def test_migrations_run_once_across_restarts(database_url, redis_server, start_service, postgres):
    env = sample_env(database_url, next_redis_url(redis_server))
    first = start_service("sample_service", env)
    assert first.stop() == 0
    start_service("sample_service", env)
    versions = postgres.psql("SELECT count(*) FROM schema_migrations", "servicekit_sample")
    assert versions.strip() == "1"


def test_sigterm_drains_in_flight_request(database_url, redis_server, start_service):
    env = sample_env(database_url, next_redis_url(redis_server), drain_seconds="1")
    process = start_service("sample_service", env)
    results = {}

    def slow_request():
        results["slow"] = httpx.get(f"{process.url}/slow?seconds=2", timeout=10)

    worker = threading.Thread(target=slow_request)
    worker.start()
    time.sleep(0.3)
    process.process.send_signal(15)
    time.sleep(0.3)

    readiness = httpx.get(f"{process.url}/readyz", timeout=2)
    assert readiness.status_code == 503
    assert readiness.json()["status"] == "draining"

    worker.join(10)
    assert results["slow"].status_code == 200
    assert process.process.wait(15) == 0


def test_missing_required_setting_fails_naming_it(redis_server, start_service):
    env = sample_env("", next_redis_url(redis_server))
    del env["DATABASE_URL"]
    process = ServiceProcess("sample_service", env, port=free_port(), name="sample-bad")
    with pytest.raises(Exception, match="database_url"):
        process.start(timeout=10)


def test_unknown_query_parameter_is_422(client):
    response = client.get("/slow?seconds=0&sceonds=1")

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["details"] == [{"field": "sceonds", "reason": "unknown query parameter"}]
    assert "accepts: seconds" in error["message"]


def test_declared_query_parameter_accepted(client):
    response = client.get("/slow?seconds=0")

    assert response.status_code == 200
