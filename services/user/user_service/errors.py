"""Domain errors of the user service, with their error codes and their OpenAPI description."""

from typing import Any

from servicekit.errors import (
    ConflictError,
    NotFoundError,
    UnauthorizedError,
)
from servicekit.openapi import error_responses as openapi_error_responses

# Only the texts that differ from servicekit.openapi's defaults.
_STATUS_DESCRIPTIONS = {401: "Missing or invalid caller identity, or wrong credentials."}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Describe error statuses in OpenAPI with the envelope, 400 and 422 included."""
    return openapi_error_responses(*statuses, descriptions=_STATUS_DESCRIPTIONS)


def email_taken(email: str) -> ConflictError:
    return ConflictError(
        "An account with this email already exists.",
        code="email_taken",
        details={"field": "email"},
    )


def invalid_credentials() -> UnauthorizedError:
    # One message for an unknown email and a wrong password, so neither is revealed.
    return UnauthorizedError("Invalid email or password.", code="invalid_credentials")


def user_not_found(user_id: str) -> NotFoundError:
    return NotFoundError(
        f"User {user_id} not found.", code="user_not_found", details={"user_id": user_id}
    )
