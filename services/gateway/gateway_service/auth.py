"""Access token verification: HS256 JWTs that the user service signs.

The algorithm list is pinned to HS256, so a token whose header says `none`, RS256 or HS512
fails verification instead of choosing how it is checked.
"""

import time
import uuid
from dataclasses import dataclass

import jwt
from servicekit.errors import UnauthorizedError

ISSUER = "shop-user-service"
AUDIENCE = "shop"
ROLES = frozenset({"customer", "admin"})
_REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub"]
_CHALLENGE = {"WWW-Authenticate": "Bearer"}
_INVALID_CHALLENGE = {"WWW-Authenticate": 'Bearer error="invalid_token"'}


@dataclass(frozen=True, slots=True)
class Identity:
    """A verified caller, with the headers that carry it upstream already encoded."""

    user_id: str
    role: str
    expires_at: float
    headers: tuple[tuple[str, str], ...]


def missing_token_error() -> UnauthorizedError:
    return UnauthorizedError(
        "Authentication required: send an access token as 'Authorization: Bearer <token>'.",
        code="missing_token",
        headers=_CHALLENGE,
    )


def invalid_token_error(reason: str) -> UnauthorizedError:
    return UnauthorizedError(
        f"The access token is invalid: {reason}. Log in again for a new token.",
        code="invalid_token",
        headers=_INVALID_CHALLENGE,
    )


class TokenVerifier:
    """Verify access tokens, and keep verified ones until they expire.

    Caching is safe because the key is the whole token, signature included, so a cached
    entry stands for exactly the bytes that were verified, and each hit checks `exp` again.
    """

    def __init__(self, secret: str, *, cache_size: int) -> None:
        self._secret = secret
        self._cache_size = cache_size
        self._cache: dict[str, Identity] = {}

    def verify_header(self, authorization: bytes | None) -> Identity:
        """Return the caller of an Authorization header value, or raise UnauthorizedError."""
        if authorization is None:
            raise missing_token_error()

        scheme, _, token = authorization.decode("latin-1").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise invalid_token_error("the Authorization header is not 'Bearer <token>'")

        return self.verify(token.strip())

    def verify(self, token: str) -> Identity:
        cached = self._cache.get(token)
        if cached is not None and cached.expires_at > time.time():
            return cached

        identity = _decode(token, self._secret)
        self._remember(token, identity)
        return identity

    def _remember(self, token: str, identity: Identity) -> None:
        if self._cache_size == 0:
            return
        if len(self._cache) >= self._cache_size:
            # Dropping everything is cheaper than tracking use; tokens are verified again.
            self._cache.clear()
        self._cache[token] = identity


def _decode(token: str, secret: str) -> Identity:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": _REQUIRED_CLAIMS},
        )
    except jwt.ExpiredSignatureError as exc:
        raise invalid_token_error("it has expired") from exc
    except jwt.InvalidTokenError as exc:
        raise invalid_token_error(_describe(exc)) from exc

    return _identity(claims)


def _describe(exc: jwt.InvalidTokenError) -> str:
    if isinstance(exc, jwt.InvalidAudienceError):
        return "it is not meant for this API (wrong audience)"
    if isinstance(exc, jwt.InvalidIssuerError):
        return "it was not issued by the user service"
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return f"the '{exc.claim}' claim is missing"
    if isinstance(exc, jwt.InvalidSignatureError):
        return "the signature does not match"
    if isinstance(exc, jwt.InvalidAlgorithmError):
        return "it is not signed with HS256"
    return "it is malformed"


def _identity(claims: dict) -> Identity:
    try:
        user_id = str(uuid.UUID(str(claims["sub"])))
    except ValueError as exc:
        raise invalid_token_error("the 'sub' claim is not a user id") from exc

    role = claims.get("role")
    if role not in ROLES:
        raise invalid_token_error("the 'role' claim is missing or unknown")

    headers = (("x-user-id", user_id), ("x-user-role", role))
    return Identity(user_id, role, float(claims["exp"]), headers)
