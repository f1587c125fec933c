"""Fixtures for the image tests: a reachable Docker engine, the built images, the stores.

Without a Docker engine or without the images these tests skip, except under CI=true.
There a missing engine or image fails them, because CI must prove the images.
Build the images with `make images` first.
"""

import os
from collections.abc import Iterator

import pytest
from devstack.pytest_plugin import TEST_JWT_SECRET, next_redis_url
from image_harness import PACKAGES, DockerError, docker, engine_version, image_name

image_sizes_key = pytest.StashKey[dict[str, int]]()


def skip_or_fail(reason: str) -> None:
    """Skip the test, or fail it under CI=true, where the image tests must run."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true requires the image tests to run)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def docker_engine() -> str:
    version = engine_version()
    if version is None:
        skip_or_fail("no Docker engine reachable; run `bash ci/images/setup-docker.sh`")
    return version


@pytest.fixture(scope="session")
def service_images(docker_engine: str) -> dict[str, str]:
    """Map each service to its image name. Skip or fail when one is not built."""
    missing = []
    for service in PACKAGES:
        try:
            docker("image", "inspect", image_name(service), timeout=30)
        except DockerError:
            missing.append(image_name(service))
    if missing:
        skip_or_fail(f"images not built: {', '.join(missing)}; run `make images`")
    return {service: image_name(service) for service in PACKAGES}


@pytest.fixture(scope="session")
def image_sizes(request: pytest.FixtureRequest) -> dict[str, int]:
    """Image sizes in bytes, printed in the terminal summary at the end of the session."""
    return request.config.stash.setdefault(image_sizes_key, {})


@pytest.fixture(scope="session")
def store_env(service_images, postgres, redis_server) -> dict[str, dict[str, str]]:
    """Database and Redis variables of each service, for containers on the host network."""
    env: dict[str, dict[str, str]] = {}
    for service in ("user", "product", "order"):
        database_url = postgres.create_database(f"image_test_{service}", recreate=True)
        env[service] = {"DATABASE_URL": database_url, "REDIS_URL": next_redis_url(redis_server)}
    env["gateway"] = {"REDIS_URL": next_redis_url(redis_server)}

    env["user"]["JWT_SECRET"] = TEST_JWT_SECRET
    env["gateway"]["JWT_SECRET"] = TEST_JWT_SECRET
    return env


@pytest.fixture
def containers() -> Iterator[list]:
    """Containers a test appends here are removed at its end, also when it fails."""
    started: list = []
    yield started
    for container in started:
        container.remove()


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    sizes = config.stash.get(image_sizes_key, {})
    if not sizes:
        return
    terminalreporter.section("image sizes")
    for image, size in sorted(sizes.items()):
        terminalreporter.write_line(f"{image}: {size / 1_000_000:.1f} MB ({size} bytes)")
