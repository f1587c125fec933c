"""Command line: serve (default), `migrate`, or `create-admin`."""

import argparse
import asyncio
import os
import sys
from typing import TypeVar

from pydantic_settings import BaseSettings
from servicekit.logs import configure_logging
from servicekit.server import run
from servicekit.settings import load_settings
from servicekit.stores import migrate_when_reachable

from user_service.admin import AdminInputError, create_admin, validate_admin
from user_service.app import build_app
from user_service.settings import CommandSettings, Settings

MIGRATIONS_PACKAGE = "user_service"

SettingsT = TypeVar("SettingsT", bound=BaseSettings)


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="user_service", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="Serve HTTP (the default).")
    commands.add_parser("migrate", help="Apply pending migrations and exit.")
    admin = commands.add_parser(
        "create-admin", help="Create an admin account, or promote the user with this email."
    )
    admin.add_argument("--email", required=True, help="The admin's email address.")
    admin.add_argument("--name", required=True, help="The admin's display name.")
    admin.add_argument(
        "--password-env",
        required=True,
        metavar="VAR",
        help="Name of the environment variable holding the password (kept out of argv).",
    )
    return parser.parse_args(argv)


def run_create_admin(arguments: argparse.Namespace, settings: CommandSettings) -> None:
    password = os.environ.get(arguments.password_env)
    if not password:
        sys.exit(f"Environment variable {arguments.password_env} is not set or empty.")
    try:
        admin = validate_admin(email=arguments.email, password=password, name=arguments.name)
    except AdminInputError as exc:
        sys.exit(str(exc))

    asyncio.run(migrate(settings))
    asyncio.run(create_admin(settings, admin))


async def migrate(settings: CommandSettings) -> None:
    await migrate_when_reachable(
        str(settings.database_url), MIGRATIONS_PACKAGE, settings.database_wait_seconds
    )


def main(argv: list[str] | None = None) -> None:
    arguments = parse_arguments(argv)

    if arguments.command in (None, "serve"):
        settings = load_settings(Settings)
        run(build_app(settings), settings)
        return

    settings = load_settings(CommandSettings)
    configure_logging(settings.service_name, settings.log_level)
    if arguments.command == "migrate":
        asyncio.run(migrate(settings))
    elif arguments.command == "create-admin":
        run_create_admin(arguments, settings)


if __name__ == "__main__":
    main()
