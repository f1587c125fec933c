"""Reject query parameters a route does not declare, such as `?categroy=books`.

FastAPI ignores unknown query parameters, so a misspelt filter silently returns unfiltered
results. Routes that are not FastAPI operations (health, metrics, plain ASGI endpoints)
are not checked.
"""

from urllib.parse import parse_qsl

from fastapi.routing import APIRoute


def declared_query_names(route: object) -> frozenset[str] | None:
    """Return the query parameter names the route declares; None for unchecked routes."""
    if not isinstance(route, APIRoute):
        return None
    names: set[str] = set()
    pending = [route.dependant]
    while pending:
        dependant = pending.pop()
        names.update(field.alias for field in dependant.query_params)
        pending.extend(dependant.dependencies)
    return frozenset(names)


def unknown_query_names(query_string: bytes, declared: frozenset[str]) -> list[str]:
    """Return the names in the query string that the route does not declare, sorted."""
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    return sorted({name for name, _ in pairs} - declared)
