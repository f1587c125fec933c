"""The main job end to end: `python -m devstack loadtest`, as `make loadtest` runs it."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_loadtest_runs_without_failures(tmp_path):
    result = subprocess.run(
        [
            sys.executable, "-m", "devstack", "loadtest",
            "--seed-count", "60",
            "--users", "8",
            "--spawn-rate", "8",
            "--run-time", "12s",
            "--report-dir", str(tmp_path),
            "--no-access-log",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    output = result.stdout + result.stderr

    assert result.returncode == 0, output[-4000:]
    assert "Load test summary" in result.stdout
    assert (tmp_path / "loadtest.html").stat().st_size > 0
    summary = result.stdout.split("Load test summary", 1)[1]
    for endpoint in ("/api/v1/products/[id]", "/api/v1/orders", "/api/v1/auth/token"):
        assert endpoint in summary
    aggregated = next(line for line in summary.splitlines() if line.startswith("Aggregated"))
    requests, failures = aggregated.split()[1:3]
    assert int(requests) > 100
    assert failures == "0"
