"""Print a per-endpoint summary of a Locust run from its `<prefix>_stats.csv` file."""

import csv
from pathlib import Path

COLUMNS = [
    ("Name", "endpoint", 40),
    ("Request Count", "requests", 9),
    ("Failure Count", "failures", 9),
    ("Requests/s", "req/s", 8),
    ("50%", "p50 ms", 7),
    ("95%", "p95 ms", 7),
    ("99%", "p99 ms", 7),
]


def read_stats(csv_path: Path) -> list[dict[str, str]]:
    with csv_path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def format_summary(rows: list[dict[str, str]]) -> str:
    """Return a text table: one line per endpoint, then the aggregated line."""
    lines = [" ".join(title.rjust(width) if i else title.ljust(width)
                      for i, (_, title, width) in enumerate(COLUMNS))]
    for row in rows:
        name = row["Name"] if row["Name"] == "Aggregated" else f'{row["Type"]} {row["Name"]}'
        cells = [name[:40].ljust(40)]
        for key, _, width in COLUMNS[1:]:
            value = row[key]
            if key == "Requests/s":
                value = f"{float(value):.1f}"
            cells.append(value.rjust(width))
        lines.append(" ".join(cells))
    return "\n".join(lines)
