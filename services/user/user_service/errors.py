"""Domain errors of the user service, with their error codes."""

from servicekit.errors import (
    ConflictError,
    NotFoundError,
    UnauthorizedError,
)


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
