"""Settings shared by every service, read from environment variables."""

import sys
from typing import TypeVar

from pydantic import Field, PostgresDsn, RedisDsn, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from servicekit.faults import FaultRule

SettingsT = TypeVar("SettingsT", bound=BaseSettings)


class ServiceSettings(BaseSettings):
    """Base settings; each service subclasses it and adds its own fields.

    Fields without a default must be set in the environment, and the service fails at
    start with the variable's name when one is missing.
    """

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    service_name: str
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: str = "INFO"
    access_log: bool = Field(
        default=True,
        description="One JSON line per request at INFO; turn off for maximum throughput.",
    )
    max_body_bytes: int = Field(default=65536, ge=1024, description="Larger bodies get 413.")
    drain_seconds: float = Field(
        default=0.0,
        ge=0,
        description="After SIGTERM, keep serving with readiness failing for this long.",
    )
    opentelemetry: bool = Field(
        default=False,
        description=(
            "FastAPI's built-in OpenTelemetry spans, metrics and logs, sent to the global "
            "providers. Off by default: with no exporter configured they only cost CPU."
        ),
    )
    graceful_timeout_seconds: float = Field(
        default=20.0,
        gt=0,
        description="Maximum wait for in-flight requests at shutdown, in seconds.",
    )
    fault_injection_enabled: bool = Field(
        default=False,
        description="Apply FAULT_INJECTION_RULES, for demos only; keep false in production.",
    )
    fault_injection_rules: list[FaultRule] = Field(
        default_factory=list,
        description=(
            'JSON list of {"route", "method", "latency_ms", "error_rate", "error_status"};'
            " ignored unless FAULT_INJECTION_ENABLED is true."
        ),
    )


class RedisSettings(BaseSettings):
    """Redis settings, for every service (cache and rate limits)."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    redis_url: RedisDsn
    redis_timeout_seconds: float = Field(default=0.5, gt=0)


class DatabaseSettings(RedisSettings):
    """PostgreSQL settings, for services that own a database, plus Redis."""

    database_url: PostgresDsn
    db_pool_min_size: int = Field(default=2, ge=0)
    db_pool_max_size: int = Field(default=10, ge=1)
    db_command_timeout_seconds: float = Field(default=5.0, gt=0)
    db_connect_timeout_seconds: float = Field(default=3.0, gt=0)
    readiness_timeout_seconds: float = Field(default=1.0, gt=0)
    database_wait_seconds: float = Field(
        default=30.0,
        ge=0,
        description="How long migrations retry an unreachable database at start, in seconds.",
    )


def load_settings(settings_class: type[SettingsT]) -> SettingsT:
    """Read settings; on a missing or invalid variable exit 2, naming the variable."""
    try:
        return settings_class()
    except ValidationError as exc:
        for error in exc.errors():
            variable = ".".join(str(part) for part in error["loc"]).upper()
            print(f"Invalid configuration: {variable}: {error['msg']}", file=sys.stderr)
        sys.exit(2)
