"""Benchmark: servers on core 0, Locust on core 1, figures printed as ratios.

    python -m loadtest.bench --report-dir reports/bench

Throughput runs (requests/s, p50, p99): a bare FastAPI endpoint, a product read from Redis
(cache hit), a product read from PostgreSQL (a product instance whose Redis is
unreachable), the cached read through the gateway, and order creation through the gateway.
Other figures: the gateway hop's p50 on one connection, RSS idle and under load, time from
start to ready, and the requests/s Locust generates on one core. Absolute numbers drift on
a shared machine, so the targets are ratios.
"""

import argparse
import csv
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import httpx
from devstack.ports import free_port
from devstack.process import ServiceProcess
from devstack.stack import Stack, StackConfig

from loadtest.bench_probe import one_connection_p50_ms, pin_tree, ready_seconds, wait_http
from loadtest.capacity import RssSampler
from loadtest.procstat import rss_bytes

SERVER_CPU = 0
LOCUST_CPU = 1
BENCH_LOCUSTFILE = Path(__file__).resolve().parent / "bench_locustfile.py"
# Users per Locust run: enough concurrency to saturate one server core.
USERS = 32
RUN_SECONDS = 10
MIB = 2**20
WARMUP_REQUESTS = 200


def run_locust(host: str, report_dir: Path, name: str, env: dict[str, str]) -> dict:
    """Run the one-request locustfile on LOCUST_CPU; return requests/s, p50, p99, failures.

    A GET is first sent WARMUP_REQUESTS times, so that caches and connection pools are
    filled before the measured run.
    """
    if env.get("BENCH_METHOD", "GET") == "GET":
        with httpx.Client(base_url=host, timeout=10) as client:
            for _ in range(WARMUP_REQUESTS):
                client.get(env["BENCH_PATH"])
    prefix = report_dir / name
    command = [
        "taskset", "-c", str(LOCUST_CPU), sys.executable, "-m", "locust",
        "-f", str(BENCH_LOCUSTFILE), "--headless", "--host", host,
        "--users", str(USERS), "--spawn-rate", str(USERS), "--run-time", f"{RUN_SECONDS}s",
        "--csv", str(prefix), "--only-summary", "--loglevel", "ERROR", "--stop-timeout", "2",
    ]
    subprocess.run(command, env={**os.environ, **env}, timeout=RUN_SECONDS + 60,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(f"{prefix}_stats.csv", newline="") as handle:
        total = next(row for row in csv.DictReader(handle) if row["Name"] == "Aggregated")
    return {
        "requests_per_second": float(total["Requests/s"]),
        "p50_ms": float(total["50%"]),
        "p99_ms": float(total["99%"]),
        "requests": int(total["Request Count"]),
        "failures": int(total["Failure Count"]),
    }


def start_reference(kind: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        ["taskset", "-c", str(SERVER_CPU), sys.executable, "-m", "loadtest.bench_servers",
         kind, str(port)],
    )
    url = f"http://127.0.0.1:{port}"
    wait_http(f"{url}/ping")
    return process, url


def start_uncached_product(stack: Stack) -> ServiceProcess:
    """Start a second product instance whose Redis is unreachable, so reads hit PostgreSQL."""
    env = {
        **stack.services["product"].env,
        "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
        "CACHE_RETRY_SECONDS": "3600",
    }
    process = ServiceProcess("product_service", env, port=free_port(), name="product-uncached")
    process.start(wait_ready=False)
    wait_http(f"{process.url}/products/1")
    return process


def token_for(gateway: str) -> dict[str, str]:
    login = {"email": f"bench-{time.time_ns()}@example.com", "password": "bench-password-1"}
    with httpx.Client(base_url=gateway, timeout=10) as client:
        client.post("/api/v1/users", json={**login, "name": "Bench"}).raise_for_status()
        token = client.post("/api/v1/auth/token", json=login).raise_for_status().json()
    return {"Authorization": f"Bearer {token['access_token']}"}


def measure(report_dir: Path, seed_count: int) -> dict:
    results: dict = {"machine": f"{platform.node()} {platform.machine()}, {os.cpu_count()} cores"}
    bare, bare_url = start_reference("bare")
    raw, raw_url = start_reference("raw")
    try:
        results["bare"] = run_locust(bare_url, report_dir, "bare", {"BENCH_PATH": "/ping"})
        results["locust_ceiling"] = run_locust(raw_url, report_dir, "raw", {"BENCH_PATH": "/ping"})
    finally:
        for process in (bare, raw):
            process.terminate()
            process.wait(timeout=10)

    config = StackConfig.from_env(
        gateway_port=0, user_port=0, product_port=0, order_port=0, seed_count=seed_count,
        access_log=False, log_dir=report_dir / "logs",
        service_env={"RATE_LIMIT_PER_MINUTE": "100000000"},
    )
    stack = Stack(config)
    stack.start()
    uncached = None
    try:
        uncached = start_uncached_product(stack)
        pin_tree(os.getpid(), SERVER_CPU)
        pids = {name: s.process.pid for name, s in stack.services.items()}
        results["rss_idle_mib"] = {n: rss_bytes(p) / MIB for n, p in pids.items()}
        sampler = RssSampler(pids)
        sampler.start()
        try:
            results.update(_service_runs(stack, uncached, report_dir, seed_count))
        finally:
            sampler.stop()
        results["rss_load_mib"] = {n: peak / MIB for n, peak in sampler.peak.items()}
        product, gateway = stack.services["product"].url, stack.gateway_url
        results["hop_p50_ms"] = {
            "direct": one_connection_p50_ms(f"{product}/products/1"),
            "gateway": one_connection_p50_ms(f"{gateway}/api/v1/products/1"),
        }
        results["ready_seconds"] = {
            name: ready_seconds(stack.services[name]) for name in stack.services
        }
    finally:
        if uncached is not None:
            uncached.stop()
        stack.stop()
    return results


def _service_runs(
    stack: Stack, uncached: ServiceProcess, report_dir: Path, seed_count: int
) -> dict:
    product, gateway = stack.services["product"].url, stack.gateway_url
    auth = token_for(gateway)
    order = {"items": [{"product_id": 1, "quantity": 1}]}
    return {
        "cached_direct": run_locust(product, report_dir, "cached-direct",
                                    {"BENCH_PATH": "/products/1"}),
        "database_direct": run_locust(uncached.url, report_dir, "database-direct",
                                      {"BENCH_PATH": "/products/1"}),
        "cached_gateway": run_locust(gateway, report_dir, "cached-gateway",
                                     {"BENCH_PATH": "/api/v1/products/1"}),
        "order_gateway": run_locust(gateway, report_dir, "order-gateway", {
            "BENCH_METHOD": "POST", "BENCH_PATH": "/api/v1/orders",
            "BENCH_HEADERS": json.dumps(auth), "BENCH_BODY": json.dumps(order),
            "BENCH_PRODUCT_COUNT": str(seed_count)}),
    }


def ratios(results: dict) -> list[tuple[str, float, str, bool]]:
    """Return (figure, value, target, met) rows for the targets the benchmark checks."""
    bare = results["bare"]["requests_per_second"]
    direct = results["cached_direct"]["requests_per_second"]
    hop = results["hop_p50_ms"]["gateway"] - results["hop_p50_ms"]["direct"]
    rss = max(results["rss_load_mib"].values())
    ready = max(results["ready_seconds"].values())
    ceiling = results["locust_ceiling"]["requests_per_second"]
    gateway_share = results["cached_gateway"]["requests_per_second"] / direct
    return [
        ("gateway read / direct read", gateway_share, ">= 0.45", gateway_share >= 0.45),
        ("cached read / bare", direct / bare, ">= 0.50", direct / bare >= 0.50),
        ("database read / bare",
         results["database_direct"]["requests_per_second"] / bare, ">= 0.30",
         results["database_direct"]["requests_per_second"] / bare >= 0.30),
        ("gateway hop p50 (ms), one connection", hop, "< 0.5", hop < 0.5),
        ("max RSS under load (MiB)", rss, "< 80", rss < 80),
        ("max start to ready (s)", ready, "< 1.0", ready < 1.0),
        ("Locust req/s on one core", ceiling, ">= 8000", ceiling >= 8000),
    ]


def format_results(results: dict) -> str:
    lines = [f"Machine: {results['machine']}", "",
             f"{'run':<18} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'failures':>8}"]
    for name in ("bare", "cached_direct", "database_direct", "cached_gateway", "order_gateway",
                 "locust_ceiling"):
        run = results[name]
        lines.append(f"{name:<18} {run['requests_per_second']:>8.0f} {run['p50_ms']:>7.0f} "
                     f"{run['p99_ms']:>7.0f} {run['failures']:>8}")
    lines += ["", f"{'service':<10} {'RSS idle MiB':>12} {'RSS load MiB':>12} {'ready s':>8}"]
    for name in results["rss_idle_mib"]:
        idle, load = results["rss_idle_mib"][name], results["rss_load_mib"][name]
        ready = results["ready_seconds"][name]
        lines.append(f"{name:<10} {idle:>12.1f} {load:>12.1f} {ready:>8.2f}")
    lines += ["", f"{'figure':<38} {'value':>8} {'target':>8}  met"]
    for figure, value, target, met in ratios(results):
        lines.append(f"{figure:<38} {value:>8.2f} {target:>8}  {'yes' if met else 'NO'}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loadtest.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--report-dir", type=Path, default=Path("reports/bench"))
    parser.add_argument("--seed-count", type=int, default=1000)
    args = parser.parse_args(argv)
    if (os.cpu_count() or 1) < 2:
        print("error: the benchmark needs 2 cores (servers on 0, Locust on 1)", file=sys.stderr)
        return 2

    args.report_dir.mkdir(parents=True, exist_ok=True)
    results = measure(args.report_dir, args.seed_count)
    (args.report_dir / "bench.json").write_text(json.dumps(results, indent=2) + "\n")
    print(format_results(results))
    return 0 if all(row[3] for row in ratios(results)) else 1


if __name__ == "__main__":
    sys.exit(main())
