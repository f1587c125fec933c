"""Measure what each service costs per request on the local stack and what one pod sustains.

    python -m loadtest.capacity --env prod --report-dir reports/capacity

1. Start the local stack (PostgreSQL, Redis, four services as processes).
2. Per endpoint: send a bounded number of requests through the gateway and read every
   service's CPU time from /proc/<pid>/stat before and after.
3. The traffic mix: run the locustfile with a short step shape while sampling RSS, and
   divide each service's CPU time by the gateway requests served.
4. With the pod's CPU request and the HPA's CPU target from the rendered overlay:
   requests/s per pod at target = target x request / CPU seconds per request.
"""

import argparse
import json
import platform
import sys
import threading
import time
from pathlib import Path

from devstack.stack import Stack, StackConfig

from loadtest.endpoints import measure_endpoints
from loadtest.history import read_history
from loadtest.hpa.manifests import parse_overlay, render_overlay
from loadtest.procstat import cpu_seconds, rss_bytes
from loadtest.run import run_locust, write_reports

SERVICES = ("gateway", "user", "product", "order")
# A short step for the mix: 5 to 20 users in 20 s steps, bounded at about 100 s.
MIX_SHAPE = {
    "SHAPE_START_USERS": "5",
    "SHAPE_STEP_USERS": "5",
    "SHAPE_STEPS": "4",
    "SHAPE_STEP_SECONDS": "20",
    "SHAPE_HOLD_SECONDS": "20",
}


class RssSampler(threading.Thread):
    """Record each process's highest RSS once a second until stopped."""

    def __init__(self, pids: dict[str, int]) -> None:
        super().__init__(daemon=True)
        self.pids = pids
        self.peak = {name: 0 for name in pids}
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(1.0):
            for name, pid in self.pids.items():
                self.peak[name] = max(self.peak[name], rss_bytes(pid))

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=5)


def service_pids(stack: Stack) -> dict[str, int]:
    return {name: stack.services[name].process.pid for name in SERVICES}


def measure_mix(stack: Stack, report_dir: Path) -> dict:
    """Run the step mix; return CPU per request, peak RSS and requests per user-second."""
    pids = service_pids(stack)
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    sampler = RssSampler(pids)
    sampler.start()
    try:
        code, prefix = run_locust(stack.gateway_url, "step", report_dir / "mix", env=MIX_SHAPE)
    finally:
        sampler.stop()
    after = {name: cpu_seconds(pid) for name, pid in pids.items()}

    write_reports(prefix, "Step mix on the local stack")
    rows = read_history(Path(f"{prefix}_stats_history.csv"))
    requests = rows[-1].total_requests if rows else 0
    user_seconds = sum(
        (b.timestamp - a.timestamp) * a.users for a, b in zip(rows, rows[1:], strict=False)
    )
    return {
        "locust_exit_code": code,
        "requests": requests,
        "requests_per_user_second": requests / user_seconds if user_seconds else 0.0,
        "cpu_seconds_per_request": {
            name: (after[name] - before[name]) / requests if requests else 0.0 for name in pids
        },
        "rss_bytes_under_load": sampler.peak,
    }


def pod_capacity(cost: float, cpu_request_cores: float, target_percent: int) -> float:
    """Return requests/s one pod serves at the CPU target, given CPU seconds per request."""
    if cost <= 0:
        return float("inf")
    return target_percent / 100 * cpu_request_cores / cost


def capacity_table(result: dict, overlay_text: str) -> list[dict]:
    overlay = parse_overlay(overlay_text)
    rows = []
    for name in SERVICES:
        workload = overlay.workloads.get(name)
        hpa = overlay.hpas.get(name)
        if workload is None or hpa is None:
            continue
        target = next((m.average_utilization for m in hpa.metrics if m.resource == "cpu"), None)
        if target is None:
            continue
        cost = result["mix"]["cpu_seconds_per_request"][name]
        rows.append({
            "service": name,
            "cpu_request_cores": workload.cpu_request_cores,
            "cpu_target_percent": target,
            "mix_cpu_ms_per_request": cost * 1000,
            "mix_requests_per_second_per_pod": pod_capacity(cost, workload.cpu_request_cores,
                                                             target),
        })
    return rows


def format_table(rows: list[dict], endpoints: dict) -> str:
    lines = [
        "Per service, for the locustfile's traffic mix (requests counted at the gateway):",
        f"{'service':<9} {'CPU ms/req':>10} {'request':>8} {'target':>7} {'req/s per pod':>14}",
    ]
    for row in rows:
        lines.append(
            f"{row['service']:<9} {row['mix_cpu_ms_per_request']:>10.3f} "
            f"{row['cpu_request_cores']:>7.3f}c {row['cpu_target_percent']:>6}% "
            f"{row['mix_requests_per_second_per_pod']:>14.1f}"
        )
    lines += ["", "Per endpoint, CPU ms per request in each service:"]
    lines.append(f"{'endpoint':<36} " + " ".join(f"{name:>8}" for name in SERVICES))
    for endpoint, costs in endpoints.items():
        cells = " ".join(f"{costs['cpu_seconds_per_request'][n] * 1000:>8.3f}" for n in SERVICES)
        lines.append(f"{endpoint:<36} {cells}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loadtest.capacity", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", default="prod", help="overlay under kustomize/overlays")
    parser.add_argument("--report-dir", type=Path, default=Path("reports/capacity"))
    parser.add_argument("--requests", type=int, default=300,
                        help="requests per endpoint (password hashing endpoints use a fifth)")
    parser.add_argument("--seed-count", type=int, default=1000)
    args = parser.parse_args(argv)

    overlay_text = render_overlay(args.env)
    config = StackConfig.from_env(
        gateway_port=0, user_port=0, product_port=0, order_port=0,
        seed_count=args.seed_count, access_log=False, log_dir=args.report_dir / "logs",
        # All load comes from one address, so the per-client rate limit is lifted.
        service_env={"RATE_LIMIT_PER_MINUTE": "1000000"},
    )
    stack = Stack(config)
    stack.start()
    try:
        pids = service_pids(stack)
        idle = {name: rss_bytes(pid) for name, pid in pids.items()}
        endpoints = measure_endpoints(stack.gateway_url, pids, args.requests)
        mix = measure_mix(stack, args.report_dir)
    finally:
        stack.stop()

    result = {
        "machine": f"{platform.node()} {platform.machine()} {platform.processor()}".strip(),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "overlay": args.env,
        "rss_bytes_idle": idle,
        "endpoints": endpoints,
        "mix": mix,
    }
    result["pods"] = capacity_table(result, overlay_text)
    args.report_dir.mkdir(parents=True, exist_ok=True)
    output = args.report_dir / "capacity.json"
    output.write_text(json.dumps(result, indent=2) + "\n")
    print(format_table(result["pods"], endpoints))
    print(f"\nCapacity written to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
