"""PNG plots of a load test, of an HPA observation and of an HPA simulation."""

from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402 - the backend must be chosen before pyplot loads

from loadtest.history import HistoryRow  # noqa: E402


def _elapsed(timestamps: list[float], start: float) -> list[float]:
    return [t - start for t in timestamps]


def plot_load_test(rows: list[HistoryRow], path: Path, title: str = "Load test") -> Path:
    """Plot requests/s and failures/s, latency percentiles and users over time."""
    start = rows[0].timestamp if rows else 0.0
    seconds = _elapsed([r.timestamp for r in rows], start)
    figure, (rate, latency, users) = plt.subplots(3, 1, figsize=(10, 9), sharex=True)

    rate.plot(seconds, [r.requests_per_second for r in rows], label="requests/s")
    rate.plot(seconds, [r.failures_per_second for r in rows], label="failures/s", color="red")
    rate.set_ylabel("per second")
    rate.legend(loc="upper left")

    for label, values in (
        ("p50", [r.p50_ms for r in rows]),
        ("p95", [r.p95_ms for r in rows]),
        ("p99", [r.p99_ms for r in rows]),
    ):
        latency.plot(seconds, [float("nan") if v is None else v for v in values], label=label)
    latency.set_ylabel("response time (ms)")
    latency.legend(loc="upper left")

    users.plot(seconds, [r.users for r in rows], color="black")
    users.set_ylabel("users")
    users.set_xlabel("seconds since start")

    figure.suptitle(title)
    return _save(figure, path)


def plot_replicas(
    series: dict[str, list[tuple[float, int, float | None]]],
    max_replicas: dict[str, int],
    load: list[tuple[float, float]],
    path: Path,
    title: str,
    cpu_targets: dict[str, int] | None = None,
) -> Path:
    """Plot replicas and CPU utilization per service beside the load.

    `series` maps a service to (seconds, replicas, CPU utilization %) points; `load` contains
    (seconds, requests/s) points.
    """
    figure, (load_axis, replica_axis, cpu_axis) = plt.subplots(3, 1, figsize=(10, 9), sharex=True)
    load_axis.plot([p[0] for p in load], [p[1] for p in load], color="black")
    load_axis.set_ylabel("requests/s")

    for name, points in sorted(series.items()):
        seconds = [p[0] for p in points]
        (line,) = replica_axis.step(seconds, [p[1] for p in points], where="post", label=name)
        if name in max_replicas:
            replica_axis.axhline(max_replicas[name], color=line.get_color(), linestyle=":")
        cpu = [float("nan") if p[2] is None else p[2] for p in points]
        cpu_axis.plot(seconds, cpu, color=line.get_color(), label=name)
    for target in sorted(set((cpu_targets or {}).values())):
        cpu_axis.axhline(target, color="grey", linestyle="--")

    replica_axis.set_ylabel("replicas (dotted: max)")
    replica_axis.legend(loc="upper left")
    cpu_axis.set_ylabel("CPU % of request (dashed: target)")
    cpu_axis.set_xlabel("seconds since start")
    figure.suptitle(title)
    return _save(figure, path)


def group_points(rows: list[tuple[str, float, int, float | None]]):
    """Group (service, seconds, replicas, cpu) tuples by service."""
    grouped: dict[str, list[tuple[float, int, float | None]]] = defaultdict(list)
    for name, seconds, replicas, cpu in rows:
        grouped[name].append((seconds, replicas, cpu))
    return dict(grouped)


def _save(figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path
