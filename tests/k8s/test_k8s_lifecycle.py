"""Graceful shutdown, disruption budgets and resources on every service pod."""

import pytest
from k8s_gate import SERVICES, cached_render, pod_templates, service_container
from service_env import container_env, serve_settings


def prestop_seconds(container: dict) -> float:
    handler = container["lifecycle"]["preStop"]
    if "sleep" in handler:
        return handler["sleep"]["seconds"]
    command = handler["exec"]["command"]
    assert command[0] == "sleep", f"preStop runs {command}, expected sleep"
    return float(command[1])


def setting_seconds(env: dict, service: str, name: str) -> float:
    if name.upper() in env:
        return float(env[name.upper()])
    return serve_settings(SERVICES[service]).model_fields[name].default


@pytest.mark.parametrize("service", SERVICES)
def test_grace_period_covers_shutdown(overlay, service):
    pod = overlay.named("Deployment", service)["spec"]["template"]["spec"]
    container = service_container(overlay, service)
    env = container_env(overlay, container, cached_render("dev"))

    needed = (
        prestop_seconds(container)
        + setting_seconds(env, service, "drain_seconds")
        + setting_seconds(env, service, "graceful_timeout_seconds")
    )

    assert prestop_seconds(container) > 0
    assert pod["terminationGracePeriodSeconds"] > needed


@pytest.mark.parametrize("service", SERVICES)
def test_pdb_selects_service_pods(overlay, service):
    pdb = overlay.named("PodDisruptionBudget", service)

    assert pdb["spec"]["selector"]["matchLabels"] == {"app.kubernetes.io/name": service}
    assert "maxUnavailable" in pdb["spec"] or "minAvailable" in pdb["spec"]


def test_every_container_has_requests_and_limits(rendered):
    failures = []
    for name, pod in pod_templates(rendered):
        for container in [*pod.get("initContainers", []), *pod["containers"]]:
            resources = container.get("resources", {})
            for section in ("requests", "limits"):
                for resource in ("cpu", "memory"):
                    if resource not in resources.get(section, {}):
                        failures.append(f"{name}/{container['name']}: {section}.{resource}")

    assert failures == []


def test_every_container_has_probes(overlay):
    failures = []
    for name, pod in pod_templates(overlay):
        for container in pod["containers"]:
            for probe in ("livenessProbe", "readinessProbe"):
                if probe not in container:
                    failures.append(f"{name}/{container['name']}: {probe}")

    assert failures == []
