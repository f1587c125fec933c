"""Gateway settings, read from environment variables."""

import ipaddress

from pydantic import AnyHttpUrl, Field, SecretStr, field_validator
from servicekit.settings import RedisSettings, ServiceSettings


class GatewaySettings(ServiceSettings, RedisSettings):
    """Gateway settings; it owns no database and uses Redis for rate limits."""

    service_name: str = "gateway"
    port: int = Field(default=8080, ge=1, le=65535)

    user_service_url: AnyHttpUrl
    product_service_url: AnyHttpUrl
    order_service_url: AnyHttpUrl
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
    def _reject_path(cls, url: AnyHttpUrl) -> AnyHttpUrl:
        if url.path not in (None, "", "/"):
            raise ValueError("must be a base URL without a path, like http://127.0.0.1:8001")
        return url

    def upstream_base(self, service: str) -> str:
        """Return the service's base URL without a trailing slash."""
        url = getattr(self, f"{service}_service_url")
        return str(url).rstrip("/")
