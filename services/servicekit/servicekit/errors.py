"""Domain errors and the single place that maps them, and framework errors, to HTTP.

Every error response has the body {"error": {"code", "message", "details"}} and the
HTTP status in the envelope's response equals the status of the error.
"""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse
from starlette.routing import Match

logger = logging.getLogger(__name__)


class AppError(Exception):
    """An error a client can act on; subclasses fix the HTTP status and default code."""

    status_code = 500
    code = "internal_error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        self.headers = headers
        if code is not None:
            self.code = code


class InvalidRequestError(AppError):
    status_code = 400
    code = "invalid_request"


class UnauthorizedError(AppError):
    status_code = 401
    code = "unauthorized"


class ForbiddenError(AppError):
    status_code = 403
    code = "forbidden"


class NotFoundError(AppError):
    status_code = 404
    code = "not_found"


class ConflictError(AppError):
    status_code = 409
    code = "conflict"


class UnprocessableError(AppError):
    status_code = 422
    code = "validation_failed"


class RateLimitedError(AppError):
    status_code = 429
    code = "rate_limited"


class BadGatewayError(AppError):
    status_code = 502
    code = "bad_gateway"


class ServiceUnavailableError(AppError):
    status_code = 503
    code = "service_unavailable"


class GatewayTimeoutError(AppError):
    status_code = 504
    code = "gateway_timeout"


_REASON_CODES = {
    400: "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "rate_limited",
}


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


def error_response(
    status: int, code: str, message: str, details: Any = None, headers: dict | None = None
) -> JSONResponse:
    return JSONResponse(error_body(code, message, details), status_code=status, headers=headers)


def validation_details(errors: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Turn pydantic's error list into [{field, reason}], with the field as a dotted path."""
    details = []
    for error in errors:
        if error.get("type") == "json_invalid":
            # The location of a JSON syntax error is a character offset, not a field.
            position = error.get("loc", ("body", "?"))[-1]
            details.append(
                {"field": "body", "reason": f"Invalid JSON at character {position}."}
            )
            continue
        location = [str(part) for part in error.get("loc", ())]
        if location and location[0] in ("body", "query", "path", "header"):
            location = location[1:] or location
        details.append({"field": ".".join(location) or "body", "reason": error.get("msg", "")})
    return details


def app_error_response(exc: AppError) -> JSONResponse:
    """Build the envelope response for a domain error, logging those with a 5xx status."""
    if exc.status_code >= 500:
        logger.warning("request failed: %s", exc.message, extra={"error_code": exc.code})
    return error_response(exc.status_code, exc.code, exc.message, exc.details, exc.headers)


async def _handle_app_error(request: Request, exc: AppError) -> JSONResponse:
    return app_error_response(exc)


async def _handle_validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    details = validation_details(list(exc.errors()))
    fields = ", ".join(sorted({item["field"] for item in details}))
    return error_response(422, "validation_failed", f"Invalid request: check {fields}.", details)


async def _handle_http_exception(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    code = _REASON_CODES.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else "Request failed."
    headers = getattr(exc, "headers", None)
    if exc.status_code == 404:
        message = f"No route matches {request.method} {request.url.path}."
    if exc.status_code == 405:
        allowed = _allowed_methods(request)
        methods = ", ".join(allowed)
        message = f"{request.method} is not allowed on {request.url.path}; use {methods}."
        headers = {**(headers or {}), "Allow": ", ".join(allowed)}
    return error_response(exc.status_code, code, message, None, headers)


def _allowed_methods(request: Request) -> list[str]:
    """List the methods of every route on this path.

    Starlette's own Allow header names only the first route that matches the path, so
    GET /products and POST /products would give `Allow: GET`.
    """
    methods: set[str] = set()
    for route in getattr(request.app.state, "matchable_routes", []):
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            methods.update(getattr(route, "methods", None) or ())
    return sorted(methods)


async def _handle_unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.error("unhandled error", exc_info=exc)
    return error_response(500, "internal_error", "Internal server error.")


def install_error_handlers(app: FastAPI) -> None:
    """Map every error the app can raise to the JSON envelope."""
    app.add_exception_handler(AppError, _handle_app_error)
    app.add_exception_handler(RequestValidationError, _handle_validation_error)
    app.add_exception_handler(StarletteHTTPException, _handle_http_exception)
    app.add_exception_handler(Exception, _handle_unexpected)
