"""Start the gateway: `python -m gateway_service [serve|migrate]`."""

import sys

from servicekit.server import run

from gateway_service.app import create_gateway_app
from gateway_service.settings import GatewaySettings


def main() -> None:
    command = sys.argv[1] if len(sys.argv) > 1 else "serve"
    if command not in ("serve", "migrate"):
        sys.exit(f"unknown command {command!r}: use 'serve' or 'migrate'")

    settings = GatewaySettings()
    if command == "migrate":
        # The gateway owns no database; the command exists so every service takes it.
        print("gateway has no migrations")
        return

    run(create_gateway_app(settings), settings)


if __name__ == "__main__":
    main()
