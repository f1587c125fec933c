"""What each service image contains: a non-root user, the runtime only, compiled bytecode."""

import base64
import glob
import json
import os
import re
import subprocess
import tarfile

import pytest
from image_harness import DOCKER, PACKAGES, RUNTIME_USER, docker, image_name, run_once

pytestmark = pytest.mark.slow

SERVICES = list(PACKAGES)
# Budget for one image: the Python base (the local Debian one measured 124 MB) plus the
# service's virtual environment (60 to 75 MB measured). A compiler or download cache would
# exceed it.
MAX_IMAGE_BYTES = 300_000_000
BUILD_TOOLS = ("gcc", "cc", "c++", "g++", "clang", "make", "ld", "uv", "uvx")

# Runs inside the image as root, so that it can read every directory, and prints JSON.
SURVEY_SCRIPT = r"""
import glob, importlib.util, json, os, shutil, sys
package = sys.argv[1]
site = glob.glob("/app/.venv/lib/python3*/site-packages")[0]
cache_dirs = [
    path for path in ("/root/.cache", "/tmp/uv-cache", "/root/.local/share/uv", "/opt/uv")
    if os.path.exists(path)
]
service_tests = [
    os.path.join(folder, name)
    for root in (os.path.join(site, package), os.path.join(site, "servicekit"))
    for folder, dirs, files in os.walk(root)
    for name in dirs + files
    if name in ("tests", "conftest.py") or name.startswith("test_")
]
print(json.dumps({
    "tools": {tool: shutil.which(tool) for tool in sys.argv[2:]},
    "cache_dirs": cache_dirs,
    "pip_caches": [
        path for root in ("/root", "/home", "/tmp", "/app", "/opt", "/var")
        for path in glob.glob(f"{root}/**/.cache/pip", recursive=True)
        + glob.glob(f"{root}/**/pip/http*", recursive=True)
    ],
    "uv_packages": glob.glob(os.path.join(site, "uv")) + glob.glob(os.path.join(site, "uv-*")),
    "top_level_tests": os.path.exists(os.path.join(site, "tests")),
    "pytest": importlib.util.find_spec("pytest") is not None,
    "service_tests": service_tests,
    "sources": [path for path in ("/src", "/app/services") if os.path.exists(path)],
    "owned_by_runtime_user": [
        os.path.join(folder, name)
        for top in ("/app", "/etc", "/home", "/opt", "/usr", "/var")
        for folder, dirs, files in os.walk(top)
        for name in dirs + files
        if os.lstat(os.path.join(folder, name)).st_uid == 10001
        or os.lstat(os.path.join(folder, name)).st_gid == 10001
    ],
}))
"""


@pytest.fixture(scope="module")
def image_configs(service_images) -> dict[str, dict]:
    return {
        service: json.loads(docker("image", "inspect", image))[0]
        for service, image in service_images.items()
    }


@pytest.fixture(scope="module")
def surveys(service_images) -> dict[str, dict]:
    found = {}
    for service, image in service_images.items():
        result = run_once(
            "--network", "none", "--user", "0",
            "--entrypoint", "/app/.venv/bin/python", image,
            "-c", SURVEY_SCRIPT, PACKAGES[service], *BUILD_TOOLS,
        )
        found[service] = json.loads(result.stdout)
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_image_config_user_not_root(service, image_configs):
    assert image_configs[service]["Config"]["User"] == RUNTIME_USER


@pytest.mark.parametrize("service", SERVICES)
def test_image_runs_as_uid_10001(service, service_images):
    result = run_once("--network", "none", "--entrypoint", "id", service_images[service], "-u")

    assert result.stdout.strip() == "10001"


@pytest.mark.parametrize("service", SERVICES)
def test_image_entrypoint_exec_form(service, image_configs):
    config = image_configs[service]["Config"]

    assert config["Entrypoint"] == ["/app/.venv/bin/python", "-m", PACKAGES[service]]
    assert not config["Cmd"]


@pytest.mark.parametrize("service", SERVICES)
def test_image_declares_port_and_host(service, image_configs):
    config = image_configs[service]["Config"]
    env = dict(item.split("=", 1) for item in config["Env"])

    assert list(config["ExposedPorts"]) == [f"{env['PORT']}/tcp"]
    assert env["HOST"] == "0.0.0.0"
    assert env["PYTHONDONTWRITEBYTECODE"] == "1"
    assert env["PYTHONUNBUFFERED"] == "1"


@pytest.mark.parametrize("service", SERVICES)
def test_image_oci_labels(service, image_configs):
    labels = image_configs[service]["Config"]["Labels"]

    for key in ("source", "version", "revision", "base.name"):
        assert labels.get(f"org.opencontainers.image.{key}"), f"label {key} missing"


@pytest.mark.parametrize("service", SERVICES)
def test_image_size_within_budget(service, image_configs, image_sizes):
    size = image_configs[service]["Size"]
    image_sizes[image_name(service)] = size
    print(f"{image_name(service)}: {size / 1_000_000:.1f} MB")

    assert size < MAX_IMAGE_BYTES


@pytest.mark.parametrize("service", SERVICES)
def test_image_has_no_build_tools(service, surveys):
    tools = surveys[service]["tools"]

    for tool in BUILD_TOOLS:
        assert tools[tool] is None, f"{tool} found at {tools[tool]}"
    assert surveys[service]["uv_packages"] == []


@pytest.mark.parametrize("service", SERVICES)
def test_image_has_no_download_caches(service, surveys):
    assert surveys[service]["cache_dirs"] == []
    assert surveys[service]["pip_caches"] == []


@pytest.mark.parametrize("service", SERVICES)
def test_image_has_no_tests_or_sources(service, surveys):
    survey = surveys[service]

    assert survey["service_tests"] == []
    assert survey["top_level_tests"] is False
    assert survey["pytest"] is False
    assert survey["sources"] == []


@pytest.mark.parametrize("service", SERVICES)
def test_image_owns_no_files_to_runtime_user(service, surveys):
    """The service writes only to /tmp, so it owns nothing it could change in place."""
    assert surveys[service]["owned_by_runtime_user"] == []


@pytest.mark.parametrize("service", SERVICES)
def test_image_bytecode_precompiled(service, service_images):
    """Every module of the service loads from a .pyc written at build time.

    `python -v` prints the file each code object came from. A .py path means the module
    was compiled at start, and on a read-only filesystem that happens on every start.
    """
    result = run_once(
        "--network", "none", "--read-only", "--user", RUNTIME_USER,
        "--entrypoint", "/app/.venv/bin/python", service_images[service],
        "-v", "-c", f"import {PACKAGES[service]}.__main__",
        check=False,
    )
    loaded = re.findall(r"# code object from '?(/app/\S+?)'?$", result.stderr, re.MULTILINE)

    assert result.returncode == 0, result.stderr[-2000:]
    assert loaded, "python -v listed no module loaded from /app"
    assert [path for path in loaded if not path.endswith(".pyc")] == []


def pem_certificates(text: str) -> set[str]:
    """Return the base64 bodies of the PEM certificates in text, without line breaks."""
    pattern = r"-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----"
    return {"".join(body.split()) for body in re.findall(pattern, text, re.DOTALL)}


def image_files(image: str):
    """Yield (path, content) for every regular file of the image's filesystem."""
    container = docker("create", "--network", "none", image).strip()
    try:
        with subprocess.Popen(
            [DOCKER, "export", container], stdout=subprocess.PIPE
        ) as export, tarfile.open(fileobj=export.stdout, mode="r|") as archive:
            for member in archive:
                if member.isfile():
                    yield member.name, archive.extractfile(member).read()
    finally:
        docker("rm", "--force", container, check=False)


def extra_host_certificates(bundle_path: str) -> set[str]:
    """Return the certificates of the host bundle that the Debian ca-certificates package lacks.

    update-ca-certificates builds the bundle from the package's /usr/share/ca-certificates
    and the machine's own /usr/local/share/ca-certificates. The difference is the local
    CAs, such as the one of a TLS-intercepting proxy.
    """
    with open(bundle_path) as bundle:
        host_certificates = pem_certificates(bundle.read())
    shipped: set[str] = set()
    for path in glob.glob("/usr/share/ca-certificates/**/*.crt", recursive=True):
        with open(path) as certificate:
            shipped |= pem_certificates(certificate.read())
    return host_certificates - shipped


def certificate_markers(body: str) -> set[bytes]:
    """Return byte strings that identify a certificate in a PEM or DER file.

    PEM wraps base64 at 64 characters. Lines two and three contain the serial number and
    the issuer, which no other certificate shares.
    """
    pem_lines = f"{body[64:128]}\n{body[128:192]}".encode()
    return {pem_lines, base64.b64decode(body)}


@pytest.mark.parametrize("service", SERVICES)
def test_image_has_no_build_ca(service, service_images):
    """The local CAs of the build host, which verify PyPI through its proxy, reach no file.

    The build gets the host's CA bundle as a BuildKit secret, which must leave no trace.
    """
    host_bundle = os.environ.get("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt")
    if not os.path.exists(host_bundle) or not os.path.isdir("/usr/share/ca-certificates"):
        pytest.skip("no Debian CA store on this host to tell local CAs apart")
    extra = extra_host_certificates(host_bundle)
    if not extra:
        pytest.skip("the host CA bundle has no local CA")

    markers = set().union(*(certificate_markers(body) for body in extra))
    found = [
        path
        for path, content in image_files(service_images[service])
        if any(marker in content for marker in markers)
    ]

    assert found == []
