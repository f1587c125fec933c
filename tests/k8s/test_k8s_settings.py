"""Settings: every variable the manifests set is read by the service, and none is missing."""

import os
from unittest import mock

import pytest
from k8s_gate import SERVICES, all_containers, cached_render, service_container
from service_env import container_env, read_env_names, required_env_names, serve_settings

SERVICE_PORT = 8000


def secret_source(overlay):
    """prod references Secrets it does not render; the dev render has the same ones."""
    return cached_render("dev") if overlay.name != "dev" else None


@pytest.mark.parametrize("service", SERVICES)
def test_manifest_env_read_by_service(overlay, service):
    package = SERVICES[service]
    pod = overlay.named("Deployment", service)["spec"]["template"]["spec"]
    known = read_env_names(package)

    for container in all_containers(pod):
        unknown = sorted(set(container_env(overlay, container, secret_source(overlay))) - known)

        assert unknown == [], f"{service}/{container['name']}: {package} reads none of {unknown}"


@pytest.mark.parametrize("service", SERVICES)
def test_manifest_sets_required_settings(overlay, service):
    settings = serve_settings(SERVICES[service])
    env = container_env(overlay, service_container(overlay, service), secret_source(overlay))

    missing = sorted(required_env_names(settings) - set(env))

    assert missing == []


@pytest.mark.parametrize("service", SERVICES)
def test_manifest_values_resolve(overlay, service):
    env = container_env(overlay, service_container(overlay, service), secret_source(overlay))

    unresolved = sorted(name for name, value in env.items() if value is None)

    assert unresolved == [], "no Secret or ConfigMap in the dev render supplies these"


@pytest.mark.parametrize("service", SERVICES)
def test_settings_load_from_manifest_env(overlay, service):
    settings_class = serve_settings(SERVICES[service])
    env = container_env(overlay, service_container(overlay, service), secret_source(overlay))

    with mock.patch.dict(os.environ, env, clear=True):
        settings = settings_class()

    assert settings.port == SERVICE_PORT
    assert settings.host == "0.0.0.0"


@pytest.mark.parametrize("service", SERVICES)
def test_probes_use_http_port(overlay, service):
    container = service_container(overlay, service)
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    env = container_env(overlay, container, secret_source(overlay))

    assert ports == {"http": SERVICE_PORT}
    assert int(env["PORT"]) == SERVICE_PORT
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"]["port"] == "http", probe


@pytest.mark.parametrize("service", SERVICES)
def test_probe_paths(overlay, service):
    container = service_container(overlay, service)

    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"


@pytest.mark.parametrize("service", SERVICES)
def test_service_targets_container_port(overlay, service):
    ports = overlay.named("Service", service)["spec"]["ports"]

    assert [port["targetPort"] for port in ports] == ["http"]


@pytest.mark.parametrize("service", ["user", "product", "order"])
def test_migrate_init_container(overlay, service):
    pod = overlay.named("Deployment", service)["spec"]["template"]["spec"]
    init = {container["name"]: container for container in pod.get("initContainers", [])}
    env = container_env(overlay, init["migrate"], secret_source(overlay))

    assert init["migrate"]["args"] == ["migrate"]
    assert init["migrate"]["image"] == service_container(overlay, service)["image"]
    assert env["DATABASE_URL"]


@pytest.mark.parametrize("service", SERVICES)
def test_prod_pins_fault_injection_off(service):
    prod = cached_render("prod")
    env = container_env(prod, service_container(prod, service), cached_render("dev"))

    assert env.get("FAULT_INJECTION_ENABLED") == "false"


def test_user_revocations_reach_gateway_redis():
    dev = cached_render("dev")
    user_env = container_env(dev, service_container(dev, "user"))
    gateway_env = container_env(dev, service_container(dev, "gateway"))

    assert user_env["REVOCATION_REDIS_URL"] == gateway_env["REDIS_URL"]
