"""Database connection budget: the pools of every pod that may run stay under max_connections.

Per database: DB_POOL_MAX_SIZE x (HPA maxReplicas + rolling-update surge pods), plus one
connection per surge pod for its migrate init container, plus an admin margin, must fit in
max_connections minus the connections PostgreSQL reserves for superusers.
"""

import math

import pytest
from k8s_gate import DATABASE_OWNERS, SERVICES
from service_env import serve_settings

# psql sessions, a backup job and a metrics exporter at the same time.
ADMIN_MARGIN = 10
# PostgreSQL's own defaults, used when the server arguments leave a setting out.
POSTGRES_DEFAULTS = {
    "max_connections": 100,
    "superuser_reserved_connections": 3,
    "reserved_connections": 0,
}


def postgres_settings(statefulset: dict) -> dict[str, int]:
    """Read `-c name=value` pairs from the postgres container's arguments."""
    container = statefulset["spec"]["template"]["spec"]["containers"][0]
    arguments = container.get("args", [])
    settings = dict(POSTGRES_DEFAULTS)
    for flag, value in zip(arguments, arguments[1:], strict=False):
        if flag == "-c":
            name, _, number = value.partition("=")
            if name in settings:
                settings[name] = int(number)
    return settings


def surge_pods(deployment: dict, replicas: int) -> int:
    surge = deployment["spec"].get("strategy", {}).get("rollingUpdate", {}).get("maxSurge", "25%")
    if isinstance(surge, str):
        return math.ceil(replicas * int(surge.rstrip("%")) / 100)
    return surge


def pool_max_size(overlay, service: str) -> int:
    data = overlay.config_map(f"{service}-config")["data"]
    if "DB_POOL_MAX_SIZE" in data:
        return int(data["DB_POOL_MAX_SIZE"])
    return serve_settings(SERVICES[service]).model_fields["db_pool_max_size"].default


def connection_demand(overlay, service: str) -> int:
    max_replicas = overlay.named("HorizontalPodAutoscaler", service)["spec"]["maxReplicas"]
    surge = surge_pods(overlay.named("Deployment", service), max_replicas)
    return pool_max_size(overlay, service) * (max_replicas + surge) + surge + ADMIN_MARGIN


def connection_supply(overlay, service: str) -> int:
    settings = postgres_settings(overlay.named("StatefulSet", f"postgres-{service}"))
    reserved = settings["superuser_reserved_connections"] + settings["reserved_connections"]
    return settings["max_connections"] - reserved


@pytest.mark.parametrize("service", DATABASE_OWNERS)
def test_connection_budget(overlay, service):
    demand = connection_demand(overlay, service)
    supply = connection_supply(overlay, service)

    assert demand < supply, (
        f"{overlay.name}/{service}: pods may open {demand} connections, PostgreSQL accepts"
        f" {supply}; lower DB_POOL_MAX_SIZE or the HPA maximum, or raise max_connections"
    )


def test_budget_counts_surge_and_pool():
    overlay_deployment = {"spec": {"strategy": {"rollingUpdate": {"maxSurge": "25%"}}}}

    assert surge_pods(overlay_deployment, 10) == 3
    assert surge_pods({"spec": {}}, 4) == 1


def test_postgres_settings_read_from_args():
    statefulset = {
        "spec": {"template": {"spec": {"containers": [{"args": ["-c", "max_connections=42"]}]}}}
    }

    assert postgres_settings(statefulset)["max_connections"] == 42
    assert postgres_settings(statefulset)["superuser_reserved_connections"] == 3
