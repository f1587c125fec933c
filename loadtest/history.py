"""Read Locust's `<prefix>_stats_history.csv` (written with --csv-full-history).

With --csv-full-history the percentiles of each row cover the last few seconds, not the
whole run, so they show latency changing over time.
"""

import csv
from dataclasses import dataclass
from pathlib import Path

AGGREGATED = "Aggregated"


@dataclass(frozen=True)
class HistoryRow:
    timestamp: float
    users: int
    requests_per_second: float
    failures_per_second: float
    # Response time percentiles in ms; None where Locust wrote N/A (no request yet).
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    total_requests: int
    total_failures: int


def _number(text: str) -> float | None:
    return None if text in ("", "N/A") else float(text)


def read_history(path: Path, name: str = AGGREGATED) -> list[HistoryRow]:
    """Return the rows of one entry, by default the aggregate of all endpoints."""
    rows = []
    with path.open(newline="") as handle:
        for record in csv.DictReader(handle):
            if record["Name"] != name:
                continue
            rows.append(
                HistoryRow(
                    timestamp=float(record["Timestamp"]),
                    users=int(record["User Count"]),
                    requests_per_second=float(record["Requests/s"]),
                    failures_per_second=float(record["Failures/s"]),
                    p50_ms=_number(record["50%"]),
                    p95_ms=_number(record["95%"]),
                    p99_ms=_number(record["99%"]),
                    total_requests=int(record["Total Request Count"]),
                    total_failures=int(record["Total Failure Count"]),
                )
            )
    return rows
