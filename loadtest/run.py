"""Run the locustfile with a load shape, bounded in time, then write plots and a summary.

    python -m loadtest.run --host http://127.0.0.1:8080 --shape step --report-dir reports/step

Shape parameters come from SHAPE_<FIELD> variables (SHAPE_PEAK_USERS=200) or from
`--shape-<field>` options after `--`, which go to Locust unchanged.
"""

import argparse
import os
import subprocess
import sys
from pathlib import Path

from devstack.locust_summary import format_summary, read_stats

from loadtest.history import read_history
from loadtest.plots import plot_load_test
from loadtest.profiles import PROFILES, build_profile

LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
# Seconds Locust may take past the shape's end: stopping users and writing reports.
STOP_MARGIN_SECONDS = 120


def locust_command(
    host: str, shape: str, prefix: Path, extra: list[str] | None = None
) -> list[str]:
    return [
        sys.executable, "-m", "locust",
        "--locustfile", str(LOCUSTFILE),
        "--headless",
        "--host", host,
        "--shape", shape,
        "--stop-timeout", "10",
        "--csv", str(prefix),
        "--csv-full-history",
        "--html", f"{prefix}.html",
        "--only-summary",
        "--loglevel", "WARNING",
        *(extra or []),
    ]


def run_locust(
    host: str,
    shape: str,
    report_dir: Path,
    extra: list[str] | None = None,
    *,
    env: dict[str, str] | None = None,
    cpu: int | None = None,
) -> tuple[int, Path]:
    """Run Locust until the shape ends; return its exit code and the report prefix.

    `cpu` pins Locust to one core with taskset, as the benchmark does.
    """
    environment = {**os.environ, **(env or {}), "LOAD_SHAPE": shape}
    profile = build_profile(shape, environ=environment)
    report_dir.mkdir(parents=True, exist_ok=True)
    prefix = report_dir / "locust"
    command = locust_command(host, shape, prefix, extra)
    if cpu is not None:
        command = ["taskset", "-c", str(cpu), *command]

    result = subprocess.run(
        command, env=environment, timeout=profile.duration_seconds + STOP_MARGIN_SECONDS
    )
    return result.returncode, prefix


def write_reports(prefix: Path, title: str) -> Path:
    """Plot the run from its history CSV and print the per-endpoint table."""
    rows = read_history(Path(f"{prefix}_stats_history.csv"))
    png = plot_load_test(rows, Path(f"{prefix}.png"), title)
    print("\nLoad test summary (response times in ms)\n")
    print(format_summary(read_stats(Path(f"{prefix}_stats.csv"))))
    print(f"\nHTML report: {prefix}.html\nPlot: {png}")
    return png


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loadtest.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", required=True, help="base URL of the gateway")
    parser.add_argument("--shape", choices=list(PROFILES), default="step")
    parser.add_argument("--report-dir", type=Path, default=Path("reports/loadtest"))
    parser.add_argument("locust_args", nargs="*", help="more Locust options, after --")
    args = parser.parse_args(argv)

    code, prefix = run_locust(args.host, args.shape, args.report_dir, args.locust_args)
    write_reports(prefix, f"{args.shape} shape against {args.host}")
    return code


if __name__ == "__main__":
    sys.exit(main())
