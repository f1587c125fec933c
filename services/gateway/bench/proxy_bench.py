"""Measure what the gateway hop costs: GET /products/{id} direct versus through the gateway.

Starts PostgreSQL, Redis, a seeded product service and a gateway on 127.0.0.1, then runs
a closed-loop aiohttp load (CONCURRENCY requests in flight) for DURATION seconds against
each target, and prints both request rates and their ratio.

By default the product service and the gateway share CPU 0 and the load runs on CPU 1.
So "direct" is what the service serves alone on a core, and "gateway" is what the whole
path serves on that same core. Run from the repository root:

    .venv/bin/python services/gateway/bench/proxy_bench.py --duration 15
"""

import argparse
import asyncio
import os
import random
import subprocess
import sys
import time

import aiohttp
import httpx
import psutil
from devstack.ports import free_port
from devstack.postgres import PostgresServer
from devstack.process import ServiceProcess
from devstack.pytest_plugin import TEST_JWT_SECRET
from devstack.redis import RedisServer

QUIET = {"LOG_LEVEL": "WARNING", "ACCESS_LOG": "false", "GRACEFUL_TIMEOUT_SECONDS": "5"}


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=15.0, help="Seconds per target.")
    parser.add_argument("--warmup", type=float, default=2.0, help="Unmeasured seconds first.")
    parser.add_argument("--concurrency", type=int, default=32, help="Requests in flight.")
    parser.add_argument("--products", type=int, default=1000, help="Products to seed.")
    parser.add_argument("--server-cpu", type=int, default=0, help="CPU for both services.")
    parser.add_argument("--load-cpu", type=int, default=1, help="CPU for the load generator.")
    parser.add_argument(
        "--auth", action="store_true", help="Send an access token through the gateway."
    )
    parser.add_argument(
        "--gateway-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="Extra gateway setting, to compare tuning options; repeatable.",
    )
    return parser.parse_args()


def start_product(postgres: PostgresServer, redis: RedisServer, count: int) -> ServiceProcess:
    env = {
        **QUIET,
        "SERVICE_NAME": "product",
        "DATABASE_URL": postgres.create_database("bench_product", recreate=True),
        "REDIS_URL": redis.url(1),
    }
    subprocess.run(
        [sys.executable, "-m", "product_service", "seed", "--count", str(count)],
        env={**os.environ, **env},
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return ServiceProcess("product_service", env, port=free_port(), name="product").start()


def start_gateway(product: ServiceProcess, redis: RedisServer, extra: list[str]) -> ServiceProcess:
    env = {
        **QUIET,
        "SERVICE_NAME": "gateway",
        "USER_SERVICE_URL": f"http://127.0.0.1:{free_port()}",
        "ORDER_SERVICE_URL": f"http://127.0.0.1:{free_port()}",
        "PRODUCT_SERVICE_URL": product.url,
        "JWT_SECRET": TEST_JWT_SECRET,
        "REDIS_URL": redis.url(2),
        # Far above what the load sends, so every request pays for the check but passes.
        "RATE_LIMIT_PER_MINUTE": "100000000",
        "RATE_LIMIT_BURST": "1000000",
    }
    env.update(item.split("=", 1) for item in extra)
    return ServiceProcess("gateway_service", env, port=free_port(), name="gateway").start()


def product_ids(product: ServiceProcess) -> list[str]:
    response = httpx.get(f"{product.url}/products", params={"limit": 100}, timeout=10.0)
    response.raise_for_status()
    return [item["id"] for item in response.json()["items"]]


async def measure(
    urls: list[str], headers: dict, concurrency: int, warmup: float, duration: float, cpu_of
) -> tuple[float, dict[str, float]]:
    """Return 200 responses per second over `duration` after `warmup`, and CPU µs per request.

    CPU time per request is steadier than the rate on a machine shared with other work.
    """
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:
        counted = [0]
        failures = [0]
        measuring = [False]
        stop_at = time.monotonic() + warmup + duration

        async def worker(seed: int) -> None:
            chooser = random.Random(seed)
            while time.monotonic() < stop_at:
                async with session.get(chooser.choice(urls)) as response:
                    await response.read()
                    if response.status != 200:
                        failures[0] += 1
                    elif measuring[0]:
                        counted[0] += 1

        tasks = [asyncio.create_task(worker(seed)) for seed in range(concurrency)]
        await asyncio.sleep(warmup)
        measuring[0] = True
        started = time.monotonic()
        cpu_before = cpu_of()
        await asyncio.gather(*tasks)
        cpu_after = cpu_of()
        elapsed = time.monotonic() - started

    if failures[0]:
        print(f"  warning: {failures[0]} responses were not 200", file=sys.stderr)
    cost = {name: (cpu_after[name] - cpu_before[name]) * 1e6 / counted[0] for name in cpu_after}
    return counted[0] / elapsed, cost


def cpu_seconds(processes: dict[str, ServiceProcess]):
    handles = {name: psutil.Process(process.process.pid) for name, process in processes.items()}

    def read() -> dict[str, float]:
        return {name: sum(handle.cpu_times()[:2]) for name, handle in handles.items()}

    return read


def pin(process: ServiceProcess, cpu: int) -> None:
    os.sched_setaffinity(process.process.pid, {cpu})


def main() -> None:
    arguments = parse_arguments()
    postgres, redis = PostgresServer(free_port()), RedisServer(free_port())
    started: list[ServiceProcess] = []
    postgres.start()
    redis.start()
    try:
        product = start_product(postgres, redis, arguments.products)
        started.append(product)
        gateway = start_gateway(product, redis, arguments.gateway_env)
        started.append(gateway)
        pin(product, arguments.server_cpu)
        pin(gateway, arguments.server_cpu)
        os.sched_setaffinity(0, {arguments.load_cpu})

        ids = product_ids(product)
        headers = {}
        if arguments.auth:
            sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
            from gateway_testing import make_token

            headers = {"Authorization": f"Bearer {make_token()}"}

        run = arguments.concurrency, arguments.warmup, arguments.duration
        cpu_of = cpu_seconds({"product": product, "gateway": gateway})
        direct, direct_cost = asyncio.run(
            measure([f"{product.url}/products/{i}" for i in ids], {}, *run, cpu_of)
        )
        through, through_cost = asyncio.run(
            measure([f"{gateway.url}/api/v1/products/{i}" for i in ids], headers, *run, cpu_of)
        )
    finally:
        for process in started:
            process.kill()
        redis.stop()
        postgres.stop()

    print(f"direct   GET /products/{{id}}:        {direct:8.0f} req/s")
    print(f"gateway  GET /api/v1/products/{{id}}: {through:8.0f} req/s")
    print(f"ratio    gateway / direct:           {through / direct:8.1%}")
    print(
        f"CPU per request: product alone {direct_cost['product']:.0f} µs;"
        f" through the gateway: product {through_cost['product']:.0f} µs,"
        f" gateway {through_cost['gateway']:.0f} µs"
    )


if __name__ == "__main__":
    main()
