"""Command line: `python -m devstack run` and `python -m devstack loadtest`."""

import argparse
import logging
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

from devstack.locust_summary import format_summary, read_stats
from devstack.postgres import PostgresError
from devstack.process import ServiceError
from devstack.redis import RedisError
from devstack.stack import ADMIN_EMAIL, Stack, StackConfig, StackError

logger = logging.getLogger("devstack")


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="devstack: %(message)s")
    try:
        return args.handler(args)
    except (StackError, ServiceError, PostgresError, RedisError) as exc:
        # Stack.start has stopped what it started; the message names what to change.
        logger.error("failed: %s", exc)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="devstack", description=__doc__)
    commands = parser.add_subparsers(required=True)

    run = commands.add_parser("run", help="start the stack and keep it running until Ctrl-C")
    _add_stack_options(run, default_ports=True)
    run.set_defaults(handler=run_stack)

    load = commands.add_parser("loadtest", help="start the stack, run Locust on it, stop it")
    _add_stack_options(load, default_ports=False)
    load.add_argument("--users", type=int, default=50, help="concurrent Locust users")
    load.add_argument("--shape", choices=["step", "spike", "soak", "ramp-down"],
                      help="a load shape from loadtest/profiles.py instead of --users and "
                           "--run-time; its SHAPE_<FIELD> variables set its parameters")
    load.add_argument("--spawn-rate", type=float, default=10, help="users started per second")
    load.add_argument("--run-time", default="60s", type=_checked_run_time,
                      help="Locust run time, e.g. 60s, 2m or 1m30s")
    load.add_argument("--report-dir", type=Path, default=Path("reports"),
                      help="where the HTML report and CSV files go")
    load.add_argument("--locustfile", type=Path, default=Path("loadtest/locustfile.py"))
    load.set_defaults(handler=run_loadtest)
    return parser


def _add_stack_options(parser: argparse.ArgumentParser, *, default_ports: bool) -> None:
    parser.add_argument("--seed-count", type=int, default=1000, help="products in the catalog")
    parser.add_argument("--gateway-port", type=int, default=8080 if default_ports else 0,
                        help="gateway port (0: any free port)")
    parser.add_argument("--no-access-log", action="store_true",
                        help="turn off the per-request JSON access log of every service")


def _stack_config(args: argparse.Namespace, **extra) -> StackConfig:
    overrides = {
        "seed_count": args.seed_count,
        "gateway_port": args.gateway_port,
        "access_log": not args.no_access_log,
        **extra,
    }
    if not args.gateway_port:
        overrides.update(user_port=0, product_port=0, order_port=0)
    return StackConfig.from_env(**overrides)


def run_stack(args: argparse.Namespace) -> int:
    stack = Stack(_stack_config(args))
    stop = threading.Event()
    # Explicit handlers, so a SIGINT stops the stack even where the shell started this
    # process with SIGINT ignored (a background job of a script).
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stack.start()
    try:
        _print_banner(stack)
        while not stop.wait(0.5):
            pass
    finally:
        logger.info("stopping")
        stack.stop()
    return 0


def _print_banner(stack: Stack) -> None:
    lines = ["", "The shop is running. Press Ctrl-C to stop it.", ""]
    lines.append(f"  API (gateway)   {stack.gateway_url}/api/v1/products")
    lines.append(f"  API docs        {stack.gateway_url}/api/v1/docs")
    for name, process in stack.services.items():
        lines.append(f"  {name:<15} {process.url}  (metrics {process.url}/metrics)")
    lines.append(f"  admin user      {ADMIN_EMAIL} / {stack.admin_password}")
    lines.append(f"  service logs    {stack.config.log_dir}/")
    print("\n".join(lines), flush=True)


def run_loadtest(args: argparse.Namespace) -> int:
    # All load comes from one address, so the per-client limit is raised for this run.
    stack = Stack(_stack_config(args, service_env={"RATE_LIMIT_PER_MINUTE": "1000000"}))
    stack.start()
    try:
        return _run_locust(args, stack.gateway_url)
    finally:
        stack.stop()


def _run_locust(args: argparse.Namespace, host: str) -> int:
    args.report_dir.mkdir(parents=True, exist_ok=True)
    prefix = args.report_dir / "loadtest"
    command = [
        sys.executable, "-m", "locust",
        "--locustfile", str(args.locustfile),
        "--headless",
        "--host", host,
        "--stop-timeout", "10",
        "--csv", str(prefix),
        "--csv-full-history",
        "--html", f"{prefix}.html",
        "--only-summary",
        "--loglevel", "WARNING",
        # The main job passes only with no failed request at all.
        "--slo-max-failure-ratio", "0",
    ]
    if args.shape:
        command += ["--shape", args.shape]
        timeout = _shape_seconds(args.shape) + 120
    else:
        command += ["--users", str(args.users), "--spawn-rate", str(args.spawn_rate),
                    "--run-time", args.run_time]
        timeout = _run_time_seconds(args.run_time) + 120
    log_path = args.report_dir / "locust.log"
    length = f"the {args.shape} shape" if args.shape else args.run_time
    logger.info("running Locust for %s; its output goes to %s", length, log_path)
    with log_path.open("w") as log:
        result = subprocess.run(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=timeout,
        )

    print("\nLoad test summary (response times in ms)\n")
    print(format_summary(read_stats(Path(f"{prefix}_stats.csv"))))
    print(f"\nHTML report: {prefix}.html")
    _plot(prefix)
    if result.returncode == 0:
        print("Result: passed (no failed request, p95 within its objective).")
    else:
        print(f"Result: FAILED, Locust exit code {result.returncode}. {log_path} names the")
        print(f"objective missed, and {prefix}_failures.csv lists failed requests.")
    return result.returncode


def _plot(prefix: Path) -> None:
    """Draw requests/s, latency and users over time, when the loadtest package is importable."""
    try:
        from loadtest.history import read_history
        from loadtest.plots import plot_load_test
    except ImportError as exc:
        print(f"No plot: the loadtest package is not importable ({exc}); run from the repo root.")
        return
    png = plot_load_test(read_history(Path(f"{prefix}_stats_history.csv")), Path(f"{prefix}.png"),
                         "make loadtest")
    print(f"Plot: {png}")


def _shape_seconds(name: str) -> int:
    from loadtest.profiles import build_profile

    return int(build_profile(name).duration_seconds)


_RUN_TIME = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?$")


def _run_time_seconds(text: str) -> int:
    """Parse Locust's run-time format (90, 90s, 2m, 1h30m, 1m30s) into seconds."""
    match = _RUN_TIME.match(text.strip())
    if not match or not any(match.groups()):
        raise ValueError(f"invalid run time {text!r}: use e.g. 60s, 2m or 1m30s")
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def _checked_run_time(text: str) -> str:
    try:
        _run_time_seconds(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    return text


if __name__ == "__main__":
    sys.exit(main())
