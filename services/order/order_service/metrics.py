"""Order metrics, besides the HTTP and pool metrics servicekit exports."""

from prometheus_client import Counter

ORDERS = Counter(
    "orders_total",
    "Orders placed, by outcome: confirmed, rejected by the product service, or failed"
    " because the product service was unavailable.",
    ["outcome"],
)

RECOVERY_ACTIONS = Counter(
    "order_recovery_actions_total",
    "Orders the recovery loop settled, by action: confirmed, rejected, cancelled, or"
    " deferred to the next pass because the product service was unavailable.",
    ["action"],
)
