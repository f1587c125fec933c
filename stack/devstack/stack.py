"""The whole system on one machine: PostgreSQL, Redis and the four services as processes.

PostgreSQL and Redis are started from pip wheels unless DATABASE_URL or REDIS_URL name
servers to use instead. Each service gets its own database, as each gets its own
PostgreSQL in Kubernetes.
"""

import asyncio
import logging
import os
import secrets
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from devstack.ports import free_port
from devstack.postgres import PostgresServer
from devstack.process import ServiceProcess
from devstack.redis import RedisServer

logger = logging.getLogger(__name__)


class StackError(RuntimeError):
    """Error raised when the stack cannot start; its message names the cause and the fix."""

DATABASES = {"user": "shop_user", "product": "shop_product", "order": "shop_order"}
# Redis database numbers: the product cache and the gateway's rate limits stay apart.
REDIS_DATABASES = {"product": 0, "gateway": 1}
ADMIN_EMAIL = "admin@shop.example.com"


@dataclass
class StackConfig:
    """Ports and seed size of a local stack; a port of 0 means any free port."""

    gateway_port: int = 8080
    user_port: int = 8001
    product_port: int = 8002
    order_port: int = 8003
    postgres_port: int = 0
    redis_port: int = 0
    database_url: str | None = None
    redis_url: str | None = None
    seed_count: int = 1000
    access_log: bool = True
    log_dir: Path = Path(".stack/logs")
    service_env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, **overrides) -> "StackConfig":
        config = cls(
            database_url=os.environ.get("DATABASE_URL") or None,
            redis_url=os.environ.get("REDIS_URL") or None,
        )
        for key, value in overrides.items():
            setattr(config, key, value)
        return config


class Stack:
    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.postgres: PostgresServer | None = None
        self.redis: RedisServer | None = None
        self.services: dict[str, ServiceProcess] = {}
        self.jwt_secret = os.environ.get("JWT_SECRET") or secrets.token_urlsafe(48)
        self.admin_password = os.environ.get("ADMIN_PASSWORD") or secrets.token_urlsafe(12)

    @property
    def gateway_url(self) -> str:
        return self.services["gateway"].url

    def start(self) -> None:
        """Start everything and wait until every service is ready; stop all on failure."""
        _check_ports_free(self.config)
        try:
            self._start_stores()
            database_urls = self._create_databases()
            self._prepare_databases(database_urls)
            self._start_services(database_urls)
        except BaseException:
            self.stop()
            raise

    def _start_stores(self) -> None:
        if self.config.database_url is None:
            self.postgres = PostgresServer(self.config.postgres_port or free_port())
            self.postgres.start()
        if self.config.redis_url is None:
            self.redis = RedisServer(self.config.redis_port or free_port())
            self.redis.start()

    def _create_databases(self) -> dict[str, str]:
        admin_url = self.config.database_url or self.postgres.dsn("postgres")
        try:
            asyncio.run(_create_missing_databases(admin_url, list(DATABASES.values())))
        except (OSError, asyncpg.PostgresError) as exc:
            host = urlsplit(admin_url).netloc.rpartition("@")[2]
            raise StackError(
                f"Could not create the databases on PostgreSQL at {host}: {exc}. "
                "Check DATABASE_URL, or unset it to start a PostgreSQL of its own."
            ) from exc
        return {name: _with_database(admin_url, db) for name, db in DATABASES.items()}

    def _redis_url(self, service: str) -> str:
        base = self.config.redis_url or self.redis.url(0)
        parts = urlsplit(base)
        return urlunsplit(parts._replace(path=f"/{REDIS_DATABASES[service]}"))

    def _prepare_databases(self, database_urls: dict[str, str]) -> None:
        """Migrate, seed the catalog and create the admin user before the services start."""
        for name in ("user", "product", "order"):
            self._run_command(f"{name}_service", ["migrate"], {"DATABASE_URL": database_urls[name]})

        self._run_command(
            "product_service",
            ["seed", "--count", str(self.config.seed_count)],
            {"DATABASE_URL": database_urls["product"]},
        )
        self._run_command(
            "user_service",
            ["create-admin", "--email", ADMIN_EMAIL, "--name", "Admin",
             "--password-env", "ADMIN_PASSWORD"],
            {
                "DATABASE_URL": database_urls["user"],
                "ADMIN_PASSWORD": self.admin_password,
                "JWT_SECRET": self.jwt_secret,
            },
        )

    def _run_command(self, module: str, arguments: list[str], env: dict[str, str]) -> None:
        environment = {
            **os.environ,
            "SERVICE_NAME": module.removesuffix("_service"),
            "REDIS_URL": self._redis_url("product"),
            "JWT_SECRET": self.jwt_secret,
            "PRODUCT_SERVICE_URL": "http://127.0.0.1:1",
            **env,
        }
        result = subprocess.run(
            [sys.executable, "-m", module, *arguments],
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if result.returncode != 0:
            raise StackError(
                f"`python -m {module} {' '.join(arguments)}` failed with exit code "
                f"{result.returncode}:\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
            )

    def _start_services(self, database_urls: dict[str, str]) -> None:
        ports = {
            "product": self.config.product_port,
            "user": self.config.user_port,
            "order": self.config.order_port,
            "gateway": self.config.gateway_port,
        }
        ports = {name: port or free_port() for name, port in ports.items()}
        urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        environments = self._service_environments(database_urls, urls)

        self.config.log_dir.mkdir(parents=True, exist_ok=True)
        for name in ("product", "user", "order", "gateway"):
            process = ServiceProcess(
                f"{name}_service",
                environments[name],
                port=ports[name],
                name=name,
                log_dir=self.config.log_dir,
            )
            self.services[name] = process
            process.start()
            logger.info("%s ready at %s", name, process.url)

    def _service_environments(
        self, database_urls: dict[str, str], urls: dict[str, str]
    ) -> dict[str, dict[str, str]]:
        common = {
            "ACCESS_LOG": "true" if self.config.access_log else "false",
            "LOG_LEVEL": "INFO",
            **self.config.service_env,
        }
        return {
            "product": {
                **common,
                "SERVICE_NAME": "product",
                "DATABASE_URL": database_urls["product"],
                "REDIS_URL": self._redis_url("product"),
            },
            "user": {
                **common,
                "SERVICE_NAME": "user",
                "DATABASE_URL": database_urls["user"],
                "REDIS_URL": self._redis_url("product"),
                # Deleted users' revocations go where the gateway checks them.
                "REVOCATION_REDIS_URL": self._redis_url("gateway"),
                "JWT_SECRET": self.jwt_secret,
            },
            "order": {
                **common,
                "SERVICE_NAME": "order",
                "DATABASE_URL": database_urls["order"],
                "REDIS_URL": self._redis_url("product"),
                "PRODUCT_SERVICE_URL": urls["product"],
            },
            "gateway": {
                **common,
                "SERVICE_NAME": "gateway",
                "REDIS_URL": self._redis_url("gateway"),
                "JWT_SECRET": self.jwt_secret,
                "USER_SERVICE_URL": urls["user"],
                "PRODUCT_SERVICE_URL": urls["product"],
                "ORDER_SERVICE_URL": urls["order"],
            },
        }

    def stop(self) -> None:
        """Stop the services in reverse start order with SIGTERM, then the stores."""
        for name in reversed(list(self.services)):
            process = self.services[name]
            try:
                code = process.stop()
                logger.info("%s stopped with exit code %s", name, code)
            except Exception as exc:  # noqa: BLE001 - keep stopping the rest
                logger.error("%s did not stop cleanly: %s", name, exc)
        self.services.clear()
        if self.redis is not None:
            self.redis.stop()
            self.redis = None
        if self.postgres is not None:
            self.postgres.stop()
            self.postgres = None


def _check_ports_free(config: StackConfig) -> None:
    """Fail before starting anything when a fixed port is taken."""
    fixed = {
        "GATEWAY_PORT": config.gateway_port,
        "user service": config.user_port,
        "product service": config.product_port,
        "order service": config.order_port,
    }
    for name, port in fixed.items():
        if port and not _port_free(port):
            raise StackError(
                f"Port {port} ({name}) is already in use on 127.0.0.1. Stop what uses it, "
                "or choose other ports: make run GATEWAY_PORT=0 picks free ones."
            )


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


async def _create_missing_databases(admin_url: str, names: list[str]) -> None:
    connection = await asyncpg.connect(admin_url)
    try:
        rows = await connection.fetch("SELECT datname FROM pg_database")
        existing = {row["datname"] for row in rows}
        for name in names:
            if name not in existing:
                await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


def _with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))
