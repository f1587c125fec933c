"""Images: names agree across skaffold, kustomize and CI, and each image runs as the pod would.

The run test takes env, user, port and the read-only root filesystem from the dev overlay.
It runs the container on the host network so it can reach the test PostgreSQL and Redis on
loopback, which moves the listen port to a free one: PORT is the only setting it changes
besides DATABASE_URL and REDIS_URL.
"""

import re
import shutil
import subprocess
import time

import httpx
import pytest
import yaml
from devstack.ports import free_port
from devstack.pytest_plugin import next_redis_url
from k8s_gate import REPO_ROOT, SERVICES, cached_render, service_container, skip_or_fail
from service_env import container_env

DEV_TAG = "dev"
READY_TIMEOUT_SECONDS = 60


def skaffold_images() -> set[str]:
    config = yaml.safe_load((REPO_ROOT / "skaffold.yaml").read_text())
    return {artifact["image"] for artifact in config["build"]["artifacts"]}


def skaffold_dockerfiles() -> dict[str, str]:
    config = yaml.safe_load((REPO_ROOT / "skaffold.yaml").read_text())
    return {a["image"]: a["docker"]["dockerfile"] for a in config["build"]["artifacts"]}


def base_images() -> set[str]:
    """Image names in the base, read from the dev render before skaffold rewrites them."""
    dev = cached_render("dev")
    return {service_container(dev, service)["image"].rpartition(":")[0] for service in SERVICES}


def script_images(relative_path: str) -> set[str]:
    """Return the image names a CI script builds, from its image template and service list."""
    script = (REPO_ROOT / relative_path).read_text()
    pattern = re.search(r'image="(?:\$REGISTRY/)?([^"$]*)\$service([^":]*)', script)
    services = re.search(r"(?:services=\(|for service in )([a-z ]+)", script)
    assert pattern, f'{relative_path}: no image="...$service..." line found'
    assert services, f"{relative_path}: no list of services found"

    prefix, suffix = pattern.groups()
    return {f"{prefix}{service}{suffix}" for service in services.group(1).split()}


def test_image_names_agree():
    expected = {f"shop/{service}-service" for service in SERVICES}

    assert skaffold_images() == expected
    assert base_images() == expected
    assert script_images("ci/images/build.sh") == expected
    assert script_images("ci/build-push.sh") == expected


def test_skaffold_builds_from_service_dockerfiles():
    for image, dockerfile in skaffold_dockerfiles().items():
        service = image.removeprefix("shop/").removesuffix("-service")

        assert dockerfile == f"services/{service}/Dockerfile"
        assert (REPO_ROOT / dockerfile).exists(), dockerfile


def test_prod_images_keep_names():
    prod = cached_render("prod")

    for service in SERVICES:
        image = service_container(prod, service)["image"]

        assert image.rpartition(":")[0].endswith(f"shop/{service}-service"), image


def docker() -> str:
    found = shutil.which("docker")
    if found is None:
        skip_or_fail("docker is not installed")
    answer = subprocess.run(
        [found, "version", "--format", "{{.Server.Version}}"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if answer.returncode != 0:
        skip_or_fail("no Docker engine answers; ci/images/setup-docker.sh starts one")
    return found


def require_image(binary: str, image: str) -> None:
    found = subprocess.run(
        [binary, "image", "inspect", image], capture_output=True, timeout=30, check=False
    )
    if found.returncode != 0:
        skip_or_fail(f"image {image} is missing; build it with ci/images/build.sh")


def docker_run_args(container: dict, pod: dict, env: dict[str, str]) -> list[str]:
    """Translate the pod's security settings into `docker run` flags."""
    context = {**pod.get("securityContext", {}), **container.get("securityContext", {})}
    arguments = ["--network", "host", "--user", f"{context['runAsUser']}:{context['runAsGroup']}"]
    if context.get("readOnlyRootFilesystem"):
        arguments.append("--read-only")
    for capability in context.get("capabilities", {}).get("drop", []):
        arguments += ["--cap-drop", capability]
    if context.get("allowPrivilegeEscalation") is False:
        arguments += ["--security-opt", "no-new-privileges"]
    for mount in container.get("volumeMounts", []):
        arguments += ["--tmpfs", mount["mountPath"]]
    for name, value in env.items():
        arguments += ["--env", f"{name}={value}"]
    return arguments


def stores_env(service: str, env: dict, postgres, redis_server) -> dict[str, str]:
    env = {**env, "REDIS_URL": next_redis_url(redis_server)}
    if "DATABASE_URL" in env:
        env["DATABASE_URL"] = postgres.create_database(f"k8s_image_{service}", recreate=True)
    return env


def wait_for_probe(url: str, container_id: str, binary: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < deadline:
            try:
                if client.get(f"{url}/readyz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
    logs = subprocess.run(
        [binary, "logs", container_id], capture_output=True, text=True, timeout=30, check=False
    )
    pytest.fail(f"{url}/readyz not ready in {READY_TIMEOUT_SECONDS} s:\n{logs.stderr[-3000:]}")


@pytest.mark.slow
@pytest.mark.parametrize("service", SERVICES)
def test_image_runs_with_dev_settings(service, postgres, redis_server):
    binary = docker()
    image = f"shop/{service}-service:{DEV_TAG}"
    require_image(binary, image)
    dev = cached_render("dev")
    pod = dev.named("Deployment", service)["spec"]["template"]["spec"]
    container = service_container(dev, service)
    port = free_port()
    env = {**stores_env(service, container_env(dev, container), postgres, redis_server)}
    env["PORT"] = str(port)

    for init in pod.get("initContainers", []):
        init_env = {**container_env(dev, init), "DATABASE_URL": env["DATABASE_URL"]}
        result = subprocess.run(
            [binary, "run", "--rm", *docker_run_args(init, pod, init_env), image, *init["args"]],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr[-3000:]

    started = subprocess.run(
        [binary, "run", "--detach", *docker_run_args(container, pod, env), image],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    container_id = started.stdout.strip()
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for_probe(url, container_id, binary)
        with httpx.Client(base_url=url, timeout=5.0) as client:
            for probe in ("livenessProbe", "readinessProbe"):
                path = container[probe]["httpGet"]["path"]
                assert client.get(path).status_code == 200, path
            assert client.get("/metrics").status_code == 200

        grace = str(pod["terminationGracePeriodSeconds"])
        subprocess.run([binary, "stop", "--time", grace, container_id], timeout=120, check=True)
        exit_code = subprocess.run(
            [binary, "inspect", "--format", "{{.State.ExitCode}}", container_id],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout.strip()
        assert exit_code == "0"
    finally:
        subprocess.run([binary, "rm", "--force", container_id], capture_output=True, timeout=60)
