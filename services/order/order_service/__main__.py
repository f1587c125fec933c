"""Start the order service: `python -m order_service [serve|migrate]`."""

import asyncio
import logging
import sys

from servicekit.logs import configure_logging
from servicekit.server import run
from servicekit.stores import migrate_when_reachable

from order_service.app import build_app
from order_service.settings import OrderSettings, OrderStoreSettings

logger = logging.getLogger(__name__)

USAGE = "usage: python -m order_service [serve|migrate]"


def main() -> None:
    command = sys.argv[1] if len(sys.argv) > 1 else "serve"
    if command not in ("serve", "migrate"):
        sys.exit(USAGE)

    if command == "migrate":
        migrate(OrderStoreSettings())
        return

    settings = OrderSettings()
    run(build_app(settings), settings)


def migrate(settings: OrderStoreSettings) -> None:
    """Apply pending migrations and return, as a deploy step before the pods start."""
    configure_logging(settings.service_name, settings.log_level)
    asyncio.run(
        migrate_when_reachable(
            str(settings.database_url), "order_service", settings.database_wait_seconds
        )
    )
    logger.info("migrations done")


if __name__ == "__main__":
    main()
