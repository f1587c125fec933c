"""The four Dockerfiles differ only in the service they build.

Each service keeps its own Dockerfile, so `docker build -f services/<name>/Dockerfile`
works as users expect, but a fix made in one must reach all four. This test needs no
Docker engine.
"""

import re
from pathlib import Path

import pytest

SERVICES_DIR = Path(__file__).resolve().parents[2] / "services"
SERVICES = ("user", "product", "order", "gateway")
# Lines that legitimately name the service: the header comment, labels, port and env.
_SERVICE_SPECIFIC = re.compile(
    r"^(# Image of |\s*org\.opencontainers\.image\.(title|description)=|LABEL org\.opencontainers"
    r"\.image\.title=|\s*PORT=|EXPOSE )"
)


def normalized(service: str) -> list[str]:
    text = (SERVICES_DIR / service / "Dockerfile").read_text()
    text = text.replace(f"{service}_service", "<package>").replace(f"{service}-service", "<dist>")
    # Every image copies all workspace members' pyproject.toml, but only its own sources.
    text = text.replace(f"COPY services/{service} services/{service}", "COPY <own sources>")
    text = text.replace(f"-f services/{service}/Dockerfile", "-f <dockerfile>")
    text = text.replace(f"SERVICE_NAME={service}", "SERVICE_NAME=<name>")
    return [line for line in text.splitlines() if not _SERVICE_SPECIFIC.match(line)]


@pytest.mark.parametrize("service", SERVICES[1:])
def test_dockerfile_matches_user_service(service):
    assert normalized(service) == normalized("user")
