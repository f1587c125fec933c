"""User service settings, read from environment variables."""

from pydantic import Field, RedisDsn, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from servicekit.settings import DatabaseSettings, ServiceSettings

# RFC 7518 section 3.2: an HS256 key must be at least as long as the 256-bit hash output.
MIN_SECRET_LENGTH = 32
# Placeholders that example files use; a secret containing one was never replaced.
_PLACEHOLDER_SECRETS = ("changeme", "change-me", "changethis", "replace-me")


class HashingSettings(BaseSettings):
    """argon2id parameters. Changing them makes each stored hash be redone at next login.

    The defaults are OWASP's Password Storage Cheat Sheet minimum for argon2id (19 MiB,
    2 passes, 1 lane) rather than argon2-cffi's 64 MiB and 4 lanes: a hash takes about
    30 ms of one core instead of about 115 ms (measured on the 2-core development machine),
    and each concurrent login uses 19 MiB instead of 64 MiB.
    """

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    argon2_time_cost: int = Field(default=2, ge=1, le=10)
    argon2_memory_cost_kib: int = Field(default=19_456, ge=8_192, le=1_048_576)
    argon2_parallelism: int = Field(default=1, ge=1, le=8)
    password_hash_workers: int = Field(
        default=2,
        ge=1,
        description="Threads that hash and verify passwords; bounds their CPU and memory.",
    )


class CommandSettings(DatabaseSettings, HashingSettings):
    """Settings of the create-admin and migrate commands, which sign no tokens."""

    service_name: str = "user"
    log_level: str = "INFO"


class Settings(ServiceSettings, CommandSettings):
    service_name: str = "user"
    jwt_secret: SecretStr = Field(description="HS256 signing key, at least 32 characters.")
    access_token_ttl_seconds: int = Field(default=900, ge=60, le=86_400)
    revocation_redis_url: RedisDsn | None = Field(
        default=None,
        description=(
            "Redis database where deleted users' token revocations go: the gateway's"
            " REDIS_URL, because the gateway reads them there. Defaults to REDIS_URL."
        ),
    )

    @field_validator("jwt_secret")
    @classmethod
    def reject_weak_secret(cls, secret: SecretStr) -> SecretStr:
        value = secret.get_secret_value()
        if len(value) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"must be at least {MIN_SECRET_LENGTH} characters, not {len(value)};"
                " generate one with `openssl rand -base64 48`"
            )
        lowered = value.lower()
        if any(placeholder in lowered for placeholder in _PLACEHOLDER_SECRETS):
            raise ValueError("is a placeholder; generate a random secret of 32+ characters")
        return secret
