"""The caller's identity as the gateway passes it on, after verifying the access token.

Services trust these headers because only the gateway can reach them (NetworkPolicy in
Kubernetes, loopback locally) and the gateway drops any client-sent copy.
"""

from typing import Annotated
from uuid import UUID

from fastapi import Depends, Header

from servicekit.errors import ForbiddenError, UnauthorizedError

USER_ID_HEADER = "X-User-ID"
USER_ROLE_HEADER = "X-User-Role"
ADMIN_ROLE = "admin"

# The user service writes this Redis key when it deletes a user, with a TTL of the longest
# access-token lifetime. The gateway rejects that user's tokens while the key exists.
_REVOKED_USER_KEY = "revoked-user:{}"


def revoked_user_key(user_id: str | UUID) -> str:
    return _REVOKED_USER_KEY.format(user_id)


async def require_user_id(
    x_user_id: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> UUID:
    if not x_user_id:
        raise UnauthorizedError("Authentication required: send a bearer access token.")
    try:
        return UUID(x_user_id)
    except ValueError as exc:
        raise UnauthorizedError("The caller's user id is not a valid UUID.") from exc


async def require_admin(
    user_id: Annotated[UUID, Depends(require_user_id)],
    x_user_role: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> UUID:
    if x_user_role != ADMIN_ROLE:
        raise ForbiddenError("This operation requires the admin role.")
    return user_id
