"""One API description for the whole shop, merged from the services' /openapi.json.

Only the operations the gateway exposes are kept, under their /api/v1 paths, so internal
routes never appear. Schemas that two services name alike but define differently are
renamed `<service>.<Name>` in the second service, with its references rewritten.
"""

import asyncio
import logging
import re
import time
from typing import Any

import orjson
from servicekit.errors import AppError

from gateway_service import upstream
from gateway_service.proxy import PREFIX, PUBLIC_ROUTES, Proxy

logger = logging.getLogger(__name__)

_PARAMETER = re.compile(r"\{[^}]+\}")
_SCHEMA_REF = "#/components/schemas/"
_BEARER = {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
# While a service's description is missing, try again this soon rather than caching long.
_INCOMPLETE_CACHE_SECONDS = 5.0


def _route_key(method: str, path: str) -> tuple[str, str]:
    return method.upper(), _PARAMETER.sub("{}", path)


_EXPOSED = {_route_key(route.method, route.path): route for route in PUBLIC_ROUTES}


class CombinedOpenAPI:
    """Builds the merged description and reuses it for `ttl` seconds."""

    def __init__(self, proxy: Proxy, *, title: str, version: str, ttl: float) -> None:
        self._proxy = proxy
        self._title = title
        self._version = version
        self._ttl = ttl
        self._document: bytes | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()

    async def document(self) -> bytes:
        async with self._lock:
            if self._document is None or time.monotonic() >= self._expires_at:
                await self._rebuild()
            return self._document

    async def _rebuild(self) -> None:
        names = list(upstream.SERVICES)
        results = await asyncio.gather(*(self._fetch(name) for name in names))
        found = {
            name: doc for name, doc in zip(names, results, strict=True) if isinstance(doc, dict)
        }
        missing = {
            name: doc for name, doc in zip(names, results, strict=True) if isinstance(doc, str)
        }

        merged = merge(found, missing, title=self._title, version=self._version)
        self._document = orjson.dumps(merged)
        self._expires_at = time.monotonic() + (_INCOMPLETE_CACHE_SECONDS if missing else self._ttl)

    async def _fetch(self, service: str) -> dict | str:
        """Return the service's description, or the error code when it cannot be had."""
        url = f"{self._proxy.upstreams[service].next_base()}/openapi.json"
        try:
            response = await upstream.call(
                self._proxy.session, service, "GET", url, headers=[], body=None
            )
        except AppError as exc:
            logger.warning(
                "api description unavailable", extra={"service": service, "error": exc.code}
            )
            return exc.code

        if response.status != 200:
            logger.warning(
                "api description unavailable", extra={"service": service, "status": response.status}
            )
            return "bad_gateway"
        try:
            return orjson.loads(response.body)
        except orjson.JSONDecodeError:
            logger.warning("api description is not JSON", extra={"service": service})
            return "bad_gateway"


def merge(
    descriptions: dict[str, dict], missing: dict[str, str], *, title: str, version: str
) -> dict[str, Any]:
    """Merge the services' descriptions into one for the public API."""
    renames = _schema_renames({name: _schemas(doc) for name, doc in descriptions.items()})

    paths: dict[str, dict] = {}
    schemas: dict[str, Any] = {}
    for service, doc in descriptions.items():
        rename = renames[service]
        for path, operations in doc.get("paths", {}).items():
            exposed = _public_operations(service, path, operations)
            if exposed:
                paths.setdefault(PREFIX + path, {}).update(_rewrite_refs(exposed, rename))
        for name, schema in _schemas(doc).items():
            schemas[rename.get(name, name)] = _rewrite_refs(schema, rename)

    schemas = _referenced(schemas, paths)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version, "description": _description(missing)},
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": dict(sorted(schemas.items())), "securitySchemes": _BEARER},
        "x-missing-services": missing,
    }


_SCHEMA_REF = "#/components/schemas/"


def _referenced(schemas: dict[str, Any], paths: dict[str, Any]) -> dict[str, Any]:
    """Keep the schemas the public paths use, directly or through other schemas.

    The services' documents also describe their internal endpoints, whose schemas (the
    stock reservations) are no part of the public API.
    """
    keep: set[str] = set()
    pending = _refs(paths)
    while pending:
        name = pending.pop()
        if name in keep or name not in schemas:
            continue
        keep.add(name)
        pending |= _refs(schemas[name])
    return {name: schema for name, schema in schemas.items() if name in keep}


def _refs(value: Any) -> set[str]:
    if isinstance(value, dict):
        found = set()
        ref = value.get("$ref")
        if isinstance(ref, str) and ref.startswith(_SCHEMA_REF):
            found.add(ref[len(_SCHEMA_REF) :])
        for item in value.values():
            found |= _refs(item)
        return found
    if isinstance(value, list):
        return set().union(*(_refs(item) for item in value)) if value else set()
    return set()


def _schemas(doc: dict) -> dict[str, Any]:
    return doc.get("components", {}).get("schemas", {})


def _public_operations(service: str, path: str, operations: dict) -> dict[str, Any]:
    exposed = {}
    for method, operation in operations.items():
        route = _EXPOSED.get(_route_key(method, path))
        if route is None or route.service != service or not isinstance(operation, dict):
            continue
        operation = dict(operation)
        operation["operationId"] = f"{service}_{operation.get('operationId', method + path)}"
        operation.setdefault("tags", [service])
        if route.auth_required:
            operation["security"] = [{"bearerAuth": []}]
        operation["responses"] = {**_gateway_responses(route), **operation.get("responses", {})}
        exposed[method] = operation
    return exposed


# The envelope inline, so it does not depend on the name a service gives its schema.
_ENVELOPE_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {},
            },
        }
    },
}
# Statuses the gateway itself returns, whatever the service behind the route does.
_GATEWAY_STATUSES = {
    "429": "Too many requests from this client; retry after `Retry-After` seconds.",
    "502": "The service behind this route failed.",
    "503": "The service behind this route is unavailable, or its circuit breaker is open.",
    "504": "The service behind this route did not answer in time.",
}


def _gateway_responses(route) -> dict[str, Any]:
    statuses = dict(_GATEWAY_STATUSES)
    if route.auth_required:
        statuses["401"] = "Missing, invalid or expired bearer token."
    if route.method in ("POST", "PUT", "PATCH"):
        statuses["413"] = "The body is larger than the gateway accepts."
    content = {"application/json": {"schema": _ENVELOPE_SCHEMA}}
    return {status: {"description": text, "content": content} for status, text in statuses.items()}


def _schema_renames(schemas: dict[str, dict[str, Any]]) -> dict[str, dict[str, str]]:
    """Decide which schemas to rename so that no two different ones share a name.

    A schema shared by name and content stays shared, but renaming one schema changes the
    content of those that refer to it, so the check repeats until nothing changes.
    """
    renames: dict[str, dict[str, str]] = {service: {} for service in schemas}
    for _ in range(sum(len(own) for own in schemas.values()) + 1):
        merged: dict[str, Any] = {}
        changed = False
        for service, own in schemas.items():
            rename = renames[service]
            for name, schema in own.items():
                target = rename.get(name, name)
                content = _rewrite_refs(schema, rename)
                if target in merged and merged[target] != content:
                    rename[name] = f"{service}.{name}"
                    changed = True
                else:
                    merged[target] = content
        if not changed:
            break
    return renames


def _rewrite_refs(value: Any, rename: dict[str, str]) -> Any:
    if not rename:
        return value
    if isinstance(value, dict):
        result = {key: _rewrite_refs(item, rename) for key, item in value.items()}
        ref = result.get("$ref")
        if isinstance(ref, str) and ref.startswith(_SCHEMA_REF):
            name = ref[len(_SCHEMA_REF) :]
            result["$ref"] = _SCHEMA_REF + rename.get(name, name)
        return result
    if isinstance(value, list):
        return [_rewrite_refs(item, rename) for item in value]
    return value


def _description(missing: dict[str, str]) -> str:
    text = "The shop's public API. Send `Authorization: Bearer <access_token>` where required."
    if missing:
        parts = ", ".join(f"{name} ({code})" for name, code in sorted(missing.items()))
        text += f"\n\n**Incomplete**: these services' operations are missing: {parts}."
    return text
