"""What the manifests give each container, compared with what the service's settings read."""

import base64
import importlib
import inspect

from k8s_gate import Render
from pydantic_settings import BaseSettings
from servicekit.settings import ServiceSettings


def settings_classes(package: str) -> list[type[BaseSettings]]:
    """Return the settings classes a service's settings module defines."""
    module = importlib.import_module(f"{package}.settings")
    return [
        value
        for value in vars(module).values()
        if inspect.isclass(value)
        and issubclass(value, BaseSettings)
        and value.__module__ == module.__name__
    ]


def serve_settings(package: str) -> type[ServiceSettings]:
    """Return the class the server reads: the ServiceSettings subclass with the most fields."""
    candidates = [cls for cls in settings_classes(package) if issubclass(cls, ServiceSettings)]
    if not candidates:
        raise LookupError(f"{package}.settings defines no ServiceSettings subclass")
    return max(candidates, key=lambda cls: len(cls.model_fields))


def env_name(cls: type[BaseSettings], field: str) -> str:
    prefix = cls.model_config.get("env_prefix", "")
    info = cls.model_fields[field]
    alias = info.validation_alias if isinstance(info.validation_alias, str) else None
    return (alias or info.alias or f"{prefix}{field}").upper()


def read_env_names(package: str) -> set[str]:
    """Every variable any of the service's settings classes reads."""
    return {env_name(cls, field) for cls in settings_classes(package) for field in cls.model_fields}


def required_env_names(cls: type[BaseSettings]) -> set[str]:
    return {env_name(cls, field) for field, info in cls.model_fields.items() if info.is_required()}


def container_env(render_: Render, container: dict, secrets: Render | None = None) -> dict:
    """Resolve a container's variables as the kubelet would, from the rendered objects.

    A Secret that the render lacks (prod creates them out of band) is looked up in
    `secrets`, the dev render, whose Secrets have the same names and keys; None marks a
    value that neither render has.
    """
    env: dict[str, str | None] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            env.update(render_.named("ConfigMap", source["configMapRef"]["name"])["data"])
        if "secretRef" in source:
            env.update(_secret_data(render_, source["secretRef"]["name"], secrets))
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = item["value"]
            continue
        source = item["valueFrom"]
        if "secretKeyRef" in source:
            reference = source["secretKeyRef"]
            data = _secret_data(render_, reference["name"], secrets)
            env[item["name"]] = data.get(reference["key"])
        elif "configMapKeyRef" in source:
            reference = source["configMapKeyRef"]
            env[item["name"]] = render_.named("ConfigMap", reference["name"])["data"].get(
                reference["key"]
            )
        else:
            env[item["name"]] = None
    return env


def _secret_data(render_: Render, name: str, fallback: Render | None) -> dict[str, str]:
    for candidate in (render_, fallback):
        if candidate is None:
            continue
        for secret in candidate.of_kind("Secret"):
            secret_name = secret["metadata"]["name"]
            if secret_name == name or secret_name.rpartition("-")[0] == name:
                return {
                    key: base64.b64decode(value).decode()
                    for key, value in secret.get("data", {}).items()
                }
    return {}
