"""Command line: serve (default), `migrate`, or `seed --count N`."""

import argparse
import asyncio
import logging
import sys

import asyncpg
from redis.exceptions import RedisError
from servicekit.cache import close_redis, create_redis
from servicekit.logs import configure_logging
from servicekit.server import run
from servicekit.settings import load_settings
from servicekit.stores import migrate_when_reachable

from product_service.app import build_app
from product_service.cache import VERSION_KEY
from product_service.seed import seed_catalog
from product_service.settings import Settings

logger = logging.getLogger("product_service")

MIGRATIONS_PACKAGE = "product_service"


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="product_service", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="Serve HTTP (the default).")
    commands.add_parser("migrate", help="Apply pending migrations and exit.")
    seed = commands.add_parser("seed", help="Insert the generated catalog's missing products.")
    seed.add_argument(
        "--count", type=int, default=1000, help="Number of products to generate (default 1000)."
    )
    return parser.parse_args(argv)


async def migrate(settings: Settings) -> None:
    await migrate_when_reachable(
        str(settings.database_url), MIGRATIONS_PACKAGE, settings.database_wait_seconds
    )


async def seed(settings: Settings, count: int) -> None:
    await migrate(settings)
    connection = await asyncpg.connect(str(settings.database_url))
    try:
        inserted = await seed_catalog(connection, count=count)
    finally:
        await connection.close()
    logger.info("catalog seeded", extra={"requested": count, "inserted": inserted})

    if inserted:
        await bump_catalog_version(settings)


async def bump_catalog_version(settings: Settings) -> None:
    """Retire cached list pages, which a running service may hold from before the seed."""
    redis = create_redis(settings)
    try:
        await redis.incr(VERSION_KEY)
    except (RedisError, OSError) as exc:
        logger.warning("could not retire cached pages", extra={"error": repr(exc)})
    finally:
        await close_redis(redis)


def main(argv: list[str] | None = None) -> None:
    arguments = parse_arguments(argv)
    settings = load_settings(Settings)

    if arguments.command in (None, "serve"):
        run(build_app(settings), settings)
        return

    configure_logging(settings.service_name, settings.log_level)
    if arguments.command == "migrate":
        asyncio.run(migrate(settings))
    elif arguments.command == "seed":
        if arguments.count < 0:
            sys.exit("--count must be 0 or more")
        asyncio.run(seed(settings, arguments.count))


if __name__ == "__main__":
    main()
