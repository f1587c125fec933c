"""Run a load shape against a cluster's gateway while observing its HPAs, then judge them.

    python -m loadtest.hpa.cluster_run --env dev --host http://shop.example --shape step

Writes reports/hpa-<env>/hpa.csv (one row per HPA per poll), hpa.png (replicas and CPU
beside the load), the Locust report and plot, and prints a verdict per HPA. Exit code 1
when a verdict fails or Locust missed the SLO, 2 when there is no cluster to observe.
"""

import argparse
import csv
import sys
import threading
from pathlib import Path

from loadtest.history import read_history
from loadtest.hpa.manifests import ManifestError, parse_overlay, render_overlay
from loadtest.hpa.observer import HpaSample, Kubectl, ObserverError, observe
from loadtest.hpa.verdict import HistoryPoint, judge
from loadtest.plots import plot_replicas
from loadtest.profiles import PROFILES, build_profile
from loadtest.run import STOP_MARGIN_SECONDS, run_locust, write_reports
from loadtest.slo import DEFAULT_MAX_FAILURE_RATIO

CSV_COLUMNS = [
    "timestamp", "hpa", "current_replicas", "desired_replicas", "ready_replicas",
    "min_replicas", "max_replicas", "cpu_current", "cpu_target", "memory_current",
    "memory_target", "explanation",
]


def sample_row(sample: HpaSample) -> dict:
    row = {
        "timestamp": f"{sample.timestamp:.1f}",
        "hpa": sample.name,
        "current_replicas": sample.current_replicas,
        "desired_replicas": sample.desired_replicas,
        "ready_replicas": sample.ready_replicas,
        "min_replicas": sample.min_replicas,
        "max_replicas": sample.max_replicas,
        "explanation": sample.explanation,
    }
    for resource in ("cpu", "memory"):
        reading = sample.metric(resource)
        row[f"{resource}_current"] = "<unknown>" if reading and reading.current is None else (
            reading.current if reading else "")
        row[f"{resource}_target"] = reading.target if reading else ""
    return row


def write_csv(samples: list[HpaSample], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(sample_row(s) for s in samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loadtest.hpa.cluster_run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", default="dev", help="overlay under kustomize/overlays")
    parser.add_argument("--host", required=True, help="URL of the cluster's gateway")
    parser.add_argument("--shape", choices=list(PROFILES), default="step")
    parser.add_argument("--namespace", help="default: the namespace of the overlay's HPAs")
    parser.add_argument("--context", help="kubectl context (default: the current context)")
    parser.add_argument("--poll-seconds", type=float, default=5.0)
    parser.add_argument("--report-dir", type=Path)
    args = parser.parse_args(argv)
    report_dir = args.report_dir or Path(f"reports/hpa-{args.env}")

    try:
        overlay = parse_overlay(render_overlay(args.env))
        kubectl = Kubectl(args.namespace or overlay.namespace or "default", context=args.context)
        context = kubectl.check_context()
        kubectl.get_json("hpa")
    except (ManifestError, ObserverError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"Observing HPAs in namespace {kubectl.namespace} of context {context}")

    profile = build_profile(args.shape)
    done = threading.Event()
    outcome: dict[str, object] = {}

    def load() -> None:
        try:
            outcome["code"], outcome["prefix"] = run_locust(args.host, args.shape, report_dir)
        finally:
            done.set()

    threading.Thread(target=load, daemon=True).start()
    samples = observe(
        kubectl,
        interval_seconds=args.poll_seconds,
        until=done.is_set,
        deadline_seconds=profile.duration_seconds + STOP_MARGIN_SECONDS,
        on_sample=lambda s: print(f"{s.name}: {s.current_replicas}->{s.desired_replicas} "
                                  f"{[(m.resource, m.current, m.target) for m in s.metrics]}"),
    )
    done.wait(timeout=STOP_MARGIN_SECONDS)
    return report(samples, overlay, outcome, report_dir, args.poll_seconds)


def report(samples, overlay, outcome, report_dir: Path, poll_seconds: float) -> int:
    write_csv(samples, report_dir / "hpa.csv")
    prefix = outcome.get("prefix")
    history = []
    if prefix is not None:
        write_reports(prefix, "Load against the cluster")
        history = read_history(Path(f"{prefix}_stats_history.csv"))
    points = [HistoryPoint(r.timestamp, r.total_requests, r.total_failures) for r in history]

    start = samples[0].timestamp if samples else 0.0
    series = {}
    for sample in samples:
        cpu = sample.metric("cpu")
        series.setdefault(sample.name, []).append(
            (sample.timestamp - start, sample.current_replicas, cpu.current if cpu else None))
    load = [(r.timestamp - start, r.requests_per_second) for r in history]
    maxima = {name: spec.max_replicas for name, spec in overlay.hpas.items()}
    plot_replicas(series, maxima, load, report_dir / "hpa.png", "HPAs during the load test")

    failed = outcome.get("code", 1) != 0
    for spec in overlay.hpas.values():
        own = [s for s in samples if s.name == spec.name]
        verdict = judge(own, spec, points, poll_seconds=poll_seconds,
                        max_failure_ratio=DEFAULT_MAX_FAILURE_RATIO)
        print(verdict.format())
        failed = failed or not verdict.passed
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
