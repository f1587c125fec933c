"""Probes against the real services, started with the dev overlay's settings.

Only the addresses change: PostgreSQL and Redis come from the test fixtures, and the
process listens on a free loopback port instead of 0.0.0.0:8000.
"""

import subprocess
import sys

import httpx
import pytest
from devstack.pytest_plugin import next_redis_url
from k8s_gate import SERVICES, cached_render, service_container
from service_env import container_env

pytestmark = pytest.mark.slow


def local_env(service: str, postgres, redis_server) -> dict[str, str]:
    dev = cached_render("dev")
    env = container_env(dev, service_container(dev, service))
    env["REDIS_URL"] = next_redis_url(redis_server)
    if "DATABASE_URL" in env:
        env["DATABASE_URL"] = postgres.create_database(f"k8s_gate_{service}", recreate=True)
    return env


def probe_paths(service: str) -> list[str]:
    container = service_container(cached_render("dev"), service)
    paths = [container[probe]["httpGet"]["path"] for probe in ("livenessProbe", "readinessProbe")]
    return [*paths, "/metrics"]


@pytest.mark.parametrize("service", SERVICES)
def test_service_answers_probes(service, postgres, redis_server, start_service):
    env = local_env(service, postgres, redis_server)
    process = start_service(SERVICES[service], env)

    with httpx.Client(base_url=process.url, timeout=5.0) as client:
        for path in probe_paths(service):
            assert client.get(path).status_code == 200, path

    assert process.stop() == 0


@pytest.mark.parametrize("service", ["user", "product", "order"])
def test_migrate_init_container_runs(service, postgres, redis_server):
    dev = cached_render("dev")
    pod = dev.named("Deployment", service)["spec"]["template"]["spec"]
    init = pod["initContainers"][0]
    env = container_env(dev, init)
    env["DATABASE_URL"] = postgres.create_database(f"k8s_gate_migrate_{service}", recreate=True)

    # The image's entrypoint is `python -m <package>`; the manifest adds the arguments.
    result = subprocess.run(
        [sys.executable, "-m", SERVICES[service], *init["args"]],
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr[-2000:]
