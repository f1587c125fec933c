"""Product service settings, read from environment variables."""

from pydantic import Field
from servicekit.settings import DatabaseSettings, ServiceSettings


class Settings(ServiceSettings, DatabaseSettings):
    service_name: str = "product"
    product_cache_ttl_seconds: int = Field(
        default=60, ge=1, description="Lifetime of a cached product, in seconds."
    )
    page_cache_ttl_seconds: int = Field(
        default=30, ge=1, description="Lifetime of a cached list page, in seconds."
    )
    cache_retry_seconds: float = Field(
        default=1.0,
        ge=0,
        description="After a Redis error, cache reads are skipped for this long.",
    )
