"""Gateway settings, read from environment variables."""

import ipaddress

from pydantic import AnyHttpUrl, Field, SecretStr, field_validator
from servicekit.settings import RedisSettings, ServiceSettings

_URLS_HELP = (
    "Base URL of the service, like http://product, or a comma-separated list of replica"
    " base URLs that the gateway uses in turn and retries on."
)


class GatewaySettings(ServiceSettings, RedisSettings):
    """Gateway settings; it owns no database and uses Redis for rate limits."""

    service_name: str = "gateway"
    port: int = Field(default=8080, ge=1, le=65535)

    user_service_url: str = Field(description=_URLS_HELP)
    product_service_url: str = Field(description=_URLS_HELP)
    order_service_url: str = Field(description=_URLS_HELP)
    jwt_secret: SecretStr = Field(
        min_length=32, description="HS256 key shared with the user service."
    )
    upstream_connect_timeout_seconds: float = Field(
        default=1.0, gt=0, description="Maximum seconds to wait for a TCP connection to a service."
    )
    upstream_timeout_seconds: float = Field(
        default=10.0, gt=0, description="Maximum seconds to wait for a whole upstream response."
    )
    upstream_connections_per_host: int = Field(
        default=64, ge=1, description="Keep-alive pool size for each service."
    )
    openapi_cache_seconds: float = Field(
        default=60.0, ge=0, description="How long the combined API description is reused."
    )
    readiness_checks_upstreams: bool = Field(
        default=False, description="Also require each service's /healthz for readiness."
    )

    # Circuit breaker, per service. Five consecutive failures rule out one unlucky request,
    # yet under any real traffic they come within a fraction of a second of an outage.
    circuit_failure_threshold: int = Field(
        default=5, ge=1, description="Consecutive failed requests that open the breaker."
    )
    circuit_window_seconds: float = Field(
        default=10.0,
        gt=0,
        description="The failures must fall within this many seconds to open the breaker.",
    )
    # Five seconds lets one probe in per five seconds: short beside a pod restart (tens
    # of seconds), so the breaker closes soon after the service is back.
    circuit_reset_seconds: float = Field(
        default=5.0, gt=0, description="Seconds an open breaker fails fast before one probe."
    )

    # Retries after connection failures (see replicas.py for which requests qualify).
    # Two retries reach a third replica when one is being replaced and another refuses.
    upstream_max_retries: int = Field(
        default=2, ge=0, description="Retries of one request at most; 0 disables retries."
    )
    upstream_retry_budget_ratio: float = Field(
        default=0.2,
        ge=0,
        description="Retries allowed as a fraction of requests over the budget window.",
    )
    upstream_retry_budget_window_seconds: float = Field(
        default=10.0, gt=0, description="Sliding window of the retry budget, in seconds."
    )
    upstream_retry_budget_min_retries: int = Field(
        default=10,
        ge=0,
        description="Retries allowed per window on top of the ratio, so a quiet gateway retries.",
    )
    upstream_retry_backoff_seconds: float = Field(
        default=0.025, ge=0, description="Cap of the first retry's jittered pause, in seconds."
    )
    # Two seconds covers a replacement pod's start on this stack (about 1.5 s measured by
    # the rolling-update test) without leaving a recovered replica idle for long.
    upstream_replica_skip_seconds: float = Field(
        default=2.0, ge=0, description="Seconds a replica that refused a connection is skipped."
    )
    upstream_retry_backoff_max_seconds: float = Field(
        default=0.5, ge=0, description="Largest cap of a jittered pause; the caps double."
    )

    rate_limit_per_minute: int = Field(
        default=6000, ge=1, description="Sustained requests per minute for one client."
    )
    rate_limit_burst: int = Field(
        default=200, ge=1, description="Requests one client may send at once, after a pause."
    )
    rate_limit_fail_open: bool = Field(
        default=True, description="Allow requests when Redis cannot be reached."
    )
    trusted_proxies: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = Field(
        default_factory=list,
        description="Networks of proxies whose X-Forwarded-For is trusted, as JSON list of CIDRs.",
    )
    token_cache_size: int = Field(
        default=10000, ge=0, description="Verified access tokens kept in memory; 0 disables."
    )

    @field_validator("user_service_url", "product_service_url", "order_service_url")
    @classmethod
    def _check_urls(cls, value: str) -> str:
        urls = _split_urls(value)
        if not urls:
            raise ValueError("must name at least one base URL, like http://127.0.0.1:8001")
        for url in urls:
            if AnyHttpUrl(url).path not in (None, "", "/"):
                raise ValueError(
                    f"{url!r} must be a base URL without a path, like http://127.0.0.1:8001"
                )
        return value

    def upstream_bases(self, service: str) -> tuple[str, ...]:
        """Return the base URLs of the service's replicas, without trailing slashes."""
        value = getattr(self, f"{service}_service_url")
        return tuple(str(AnyHttpUrl(url)).rstrip("/") for url in _split_urls(value))


def _split_urls(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]
