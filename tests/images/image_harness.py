"""Run the service images with the Docker CLI for the image tests.

Containers share the host's network namespace (`--network host`), so they reach the
session's PostgreSQL and Redis on 127.0.0.1 and the tests reach them the same way. Each
container therefore gets a free port through PORT and binds to 127.0.0.1 through HOST.
"""

import os
import shutil
import subprocess
import time
import uuid

import httpx

# Prefer the docker.io client (20.10), which ci/images/setup-docker.sh installs and which
# works with any engine. DOCKER overrides the choice.
DOCKER = os.environ.get("DOCKER") or (
    "/usr/bin/docker" if os.path.exists("/usr/bin/docker") else shutil.which("docker")
)
TAG = os.environ.get("IMAGE_TAG", "dev")
PACKAGES = {
    "user": "user_service",
    "product": "product_service",
    "order": "order_service",
    "gateway": "gateway_service",
}
RUNTIME_USER = "10001:10001"
# The flags a hardened deployment runs with: nothing on the root filesystem is writable,
# no Linux capabilities, no privilege gain through setuid binaries.
HARDENED_FLAGS = [
    "--read-only",
    "--tmpfs", "/tmp",
    "--cap-drop", "ALL",
    "--security-opt", "no-new-privileges",
    "--user", RUNTIME_USER,
]
# docker stop waits this long for the process to exit after SIGTERM, then sends SIGKILL.
STOP_TIMEOUT_SECONDS = 10


class DockerError(RuntimeError):
    pass


def image_name(service: str) -> str:
    return f"shop/{service}-service:{TAG}"


def docker(*arguments: str, timeout: float = 60.0, check: bool = True) -> str:
    """Run the Docker CLI and return its stdout. Raise DockerError on a non-zero exit."""
    return docker_result(*arguments, timeout=timeout, check=check).stdout


def docker_result(
    *arguments: str, timeout: float = 60.0, check: bool = True
) -> subprocess.CompletedProcess[str]:
    if DOCKER is None:
        raise DockerError("no docker CLI found; install docker.io or set DOCKER")

    result = subprocess.run(
        [DOCKER, *arguments], capture_output=True, text=True, timeout=timeout
    )
    if check and result.returncode != 0:
        raise DockerError(
            f"`docker {' '.join(arguments[:3])} ...` failed with exit code "
            f"{result.returncode}: {result.stderr.strip()[-2000:]}"
        )
    return result


def run_once(
    *arguments: str, timeout: float = 60.0, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run a short-lived container (`docker run --rm` plus arguments) and return its result.

    A timeout ends only the CLI, not the container, so the container gets a name and is
    removed by that name before the timeout propagates.
    """
    name = f"shop-image-test-{uuid.uuid4().hex[:12]}"
    try:
        return docker_result(
            "run", "--rm", "--name", name, *arguments, timeout=timeout, check=check
        )
    except subprocess.TimeoutExpired:
        docker("rm", "--force", name, check=False)
        raise


def engine_version() -> str | None:
    """Return the engine's version, or None when no engine responds."""
    if DOCKER is None:
        return None
    try:
        return docker("version", "--format", "{{.Server.Version}}", timeout=15).strip()
    except (DockerError, OSError, subprocess.TimeoutExpired):
        return None


def environment_flags(env: dict[str, str]) -> list[str]:
    flags: list[str] = []
    for key, value in env.items():
        flags += ["--env", f"{key}={value}"]
    return flags


def run_command(service: str, env: dict[str, str], *arguments: str, timeout: float = 120.0) -> str:
    """Run a one-off command of the image (`migrate`, `seed ...`) hardened, return its stdout."""
    return run_once(
        "--network", "host", *HARDENED_FLAGS, *environment_flags(env),
        image_name(service), *arguments,
        timeout=timeout,
    ).stdout


class ServiceContainer:
    """One detached service container on the host network, deleted by remove()."""

    def __init__(self, service: str, env: dict[str, str], *, port: int) -> None:
        self.service = service
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.name = f"shop-image-test-{service}-{uuid.uuid4().hex[:8]}"
        self.env = {**env, "HOST": "127.0.0.1", "PORT": str(port)}

    def start(self) -> "ServiceContainer":
        docker(
            "run", "--detach", "--name", self.name, "--network", "host", *HARDENED_FLAGS,
            *environment_flags(self.env), image_name(self.service),
        )
        return self

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Poll /readyz until it returns 200. Raise DockerError with the logs on an exit."""
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=1.0) as client:
            while time.monotonic() < deadline:
                if not self.running():
                    raise DockerError(f"{self.name} exited at start:\n{self.logs()}")
                try:
                    if client.get(f"{self.url}/readyz").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.2)
        raise DockerError(f"{self.name} not ready after {timeout} s:\n{self.logs()}")

    def running(self) -> bool:
        return self.inspect("{{.State.Running}}") == "true"

    def inspect(self, template: str) -> str:
        return docker("inspect", "--format", template, self.name).strip()

    def stop(self) -> float:
        """Run `docker stop` and return the seconds it took."""
        started = time.monotonic()
        docker(
            "stop", "--time", str(STOP_TIMEOUT_SECONDS), self.name,
            timeout=STOP_TIMEOUT_SECONDS + 30,
        )
        return time.monotonic() - started

    def exit_code(self) -> int:
        return int(self.inspect("{{.State.ExitCode}}"))

    def logs(self) -> str:
        result = subprocess.run(
            [DOCKER, "logs", "--tail", "60", self.name],
            capture_output=True, text=True, timeout=30,
        )
        return (result.stdout + result.stderr)[-6000:]

    def remove(self) -> None:
        docker("rm", "--force", self.name, check=False)
