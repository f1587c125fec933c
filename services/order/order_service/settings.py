"""Order service settings, read from environment variables without a prefix."""

from pydantic import AnyHttpUrl, Field
from servicekit.settings import DatabaseSettings, ServiceSettings


class OrderStoreSettings(ServiceSettings, DatabaseSettings):
    """Settings for `python -m order_service migrate`, which needs the database only."""


class OrderSettings(OrderStoreSettings):
    product_service_url: AnyHttpUrl = Field(description="Base URL of the product service.")
    product_connect_timeout_seconds: float = Field(
        default=1.0, gt=0, description="Maximum wait to open a connection to the product service."
    )
    product_read_timeout_seconds: float = Field(
        default=5.0, gt=0, description="Maximum wait for a product service response."
    )
    product_pool_timeout_seconds: float = Field(
        default=5.0,
        gt=0,
        description="Maximum wait for a free connection in the product client's pool.",
    )
    product_connect_retries: int = Field(
        default=2,
        ge=0,
        description=(
            "Retries of a product call that could not connect or lost its connection before "
            "a response. Every call is safe to repeat: reservations and releases are "
            "idempotent per order id."
        ),
    )
    product_retry_backoff_seconds: float = Field(
        default=0.05, ge=0, description="Pause before the first retry; doubles each time."
    )
    product_max_connections: int = Field(
        default=100, ge=1, description="Connections the product client keeps open at most."
    )
    recovery_interval_seconds: float = Field(
        default=5.0, gt=0, description="Pause between two passes of the recovery loop."
    )
    recovery_min_age_seconds: float = Field(
        default=15.0,
        gt=0,
        description=(
            "The recovery loop takes over pending or cancelling orders untouched for this long."
            " It must exceed the longest saga, or recovery races requests still in flight."
        ),
    )
    recovery_lease_seconds: float = Field(
        default=60.0,
        gt=0,
        description=(
            "How long other replicas leave an order alone after one claims it for recovery;"
            " it must exceed the time a pass takes for a whole batch."
        ),
    )
    recovery_batch_size: int = Field(
        default=100, ge=1, description="Orders one recovery pass claims at most."
    )
    idempotency_wait_seconds: float = Field(
        default=10.0,
        ge=0,
        description="How long a replayed request waits for the first one to settle before 409.",
    )
    saga_pause_after_reserve_seconds: float = Field(
        default=0.0,
        ge=0,
        description=(
            "Test only: sleep this long between the stock reservation and the confirmation,"
            " so a test can kill the process inside the saga. Leave at 0 in deployments."
        ),
    )
