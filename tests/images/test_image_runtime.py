"""Each image starts hardened, passes its probes and exits by itself on docker stop."""

import httpx
import pytest
from devstack.ports import free_port
from image_harness import STOP_TIMEOUT_SECONDS, ServiceContainer

pytestmark = pytest.mark.slow

# Nothing listens on port 1. The gateway and the order service need upstream URLs to start,
# but by default neither checks its upstreams for readiness.
UNREACHABLE = "http://127.0.0.1:1"
UPSTREAM_ENV = {
    "user": {},
    "product": {},
    "order": {"PRODUCT_SERVICE_URL": UNREACHABLE},
    "gateway": {
        "USER_SERVICE_URL": UNREACHABLE,
        "PRODUCT_SERVICE_URL": UNREACHABLE,
        "ORDER_SERVICE_URL": UNREACHABLE,
    },
}


@pytest.mark.parametrize("service", list(UPSTREAM_ENV))
def test_image_serves_and_stops_cleanly(service, store_env, containers):
    container = ServiceContainer(
        service, {**store_env[service], **UPSTREAM_ENV[service]}, port=free_port()
    )
    containers.append(container)

    container.start().wait_ready()
    with httpx.Client(base_url=container.url, timeout=5.0) as client:
        liveness = client.get("/healthz")
        readiness = client.get("/readyz")
    seconds = container.stop()

    logs = container.logs()
    assert liveness.status_code == 200, logs
    assert readiness.status_code == 200, logs
    assert container.exit_code() == 0, logs
    assert container.inspect("{{.State.OOMKilled}}") == "false"
    assert seconds < STOP_TIMEOUT_SECONDS, f"docker stop took {seconds:.1f} s:\n{logs}"
