"""The error envelope as an OpenAPI model, for routes to declare their error responses."""

from typing import Any

from pydantic import BaseModel

_DEFAULT_DESCRIPTIONS = {
    400: "The body is not valid JSON.",
    401: "Missing or invalid caller identity.",
    403: "The caller lacks the required role.",
    404: "Not found.",
    409: "Conflict with the current state.",
    413: "The body is larger than the service accepts.",
    422: "Invalid request; `details` lists `{field, reason}` per invalid field.",
    429: "Too many requests; retry after the `Retry-After` seconds.",
    502: "A service behind this one failed.",
    503: "A dependency is unavailable; retry later.",
    504: "A service behind this one did not answer in time.",
}


class ErrorBody(BaseModel):
    code: str
    message: str
    details: Any = None


class ErrorEnvelope(BaseModel):
    """The body of every error response."""

    error: ErrorBody


def error_responses(
    *statuses: int, descriptions: dict[int, str] | None = None
) -> dict[int | str, dict[str, Any]]:
    """Describe error statuses in OpenAPI with the envelope; 400 and 422 are always included.

    `descriptions` overrides the default text for a status.
    """
    texts = {**_DEFAULT_DESCRIPTIONS, **(descriptions or {})}
    return {
        status: {"model": ErrorEnvelope, "description": texts[status]}
        for status in (400, *statuses, 422)
    }
