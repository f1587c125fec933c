"""Predict HPA replicas for a load shape from measured capacity, before touching a cluster.

    python -m loadtest.hpa.predict --env prod --shape step --capacity loadtest/capacity.json

Prints a table of predicted replicas per service every sync period, writes a PNG, and
warns when maxReplicas would be hit or a database's connection budget exceeded.
"""

import argparse
import json
import sys
from pathlib import Path

from loadtest.hpa.manifests import ManifestError, parse_overlay, render_overlay
from loadtest.hpa.simulator import (
    Capacity,
    ServiceCost,
    SimulationResult,
    SimulationSettings,
    simulate,
)
from loadtest.plots import plot_replicas
from loadtest.profiles import PROFILES, ProfileError, build_profile


def load_capacity(path: Path) -> Capacity:
    """Read the `mix` part of a capacity.json written by `python -m loadtest.capacity`."""
    if not path.is_file():
        raise FileNotFoundError(f"capacity file {path} not found; run `make capacity` first")
    mix = json.loads(path.read_text())["mix"]
    services = {
        name: ServiceCost(cost, int(mix["rss_bytes_under_load"][name]))
        for name, cost in mix["cpu_seconds_per_request"].items()
    }
    return Capacity(mix["requests_per_user_second"], services)


def format_rows(result: SimulationResult, every_seconds: int = 60) -> str:
    names = sorted(result.rows[0].replicas) if result.rows else []
    header = f"{'time s':>6} {'users':>6} {'req/s':>7} " + " ".join(
        f"{name + ' (cpu%)':>16}" for name in names
    )
    lines = [header]
    for row in result.rows:
        if row.elapsed % every_seconds:
            continue
        cells = " ".join(
            f"{row.replicas[n]:>7} ({row.cpu_utilization[n]:>5.0f}%) " for n in names
        )
        load = f"{row.elapsed:>6.0f} {row.users:>6.0f} {row.requests_per_second:>7.1f}"
        lines.append(f"{load} {cells}")
    return "\n".join(lines)


def write_plot(result: SimulationResult, overlay, path: Path, title: str) -> Path:
    series = {
        name: [(r.elapsed, r.replicas[name], r.cpu_utilization[name]) for r in result.rows]
        for name in (result.rows[0].replicas if result.rows else {})
    }
    targets = {
        name: next((m.average_utilization for m in spec.metrics if m.resource == "cpu"), 0)
        for name, spec in overlay.hpas.items()
    }
    load = [(r.elapsed, r.requests_per_second) for r in result.rows]
    maxima = {name: spec.max_replicas for name, spec in overlay.hpas.items()}
    return plot_replicas(series, maxima, load, path, title, targets)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loadtest.hpa.predict", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", default="prod", help="overlay under kustomize/overlays")
    parser.add_argument("--shape", choices=list(PROFILES), default="step")
    parser.add_argument("--capacity", type=Path, default=Path("loadtest/capacity.json"))
    parser.add_argument("--report-dir", type=Path, default=Path("reports/hpa-sim"))
    parser.add_argument("--pod-ready-seconds", type=float, default=20.0,
                        help="seconds from pod creation to readiness")
    parser.add_argument("--tail-seconds", type=float, default=0.0,
                        help="seconds simulated after the shape ends, with no load")
    args = parser.parse_args(argv)

    try:
        overlay = parse_overlay(render_overlay(args.env))
        capacity = load_capacity(args.capacity)
        profile = build_profile(args.shape)
    except (ManifestError, FileNotFoundError, ProfileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    settings = SimulationSettings(args.pod_ready_seconds, tail_seconds=args.tail_seconds)
    result = simulate(overlay, capacity, profile, settings)
    print(f"Predicted replicas, overlay {args.env}, shape {args.shape} ({profile})\n")
    print(format_rows(result))
    title = f"HPA simulation: overlay {args.env}, {args.shape} shape"
    png = write_plot(result, overlay, args.report_dir / f"{args.env}-{args.shape}.png", title)
    print(f"\nPlot: {png}")
    for warning in result.warnings:
        print(f"WARNING: {warning}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
