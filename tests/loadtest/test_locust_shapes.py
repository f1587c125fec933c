"""The locustfile run by Locust with a shape against a stub gateway: bounded, with an SLO.

Locust runs in a subprocess because importing it patches the standard library with gevent.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from devstack.ports import free_port

REPOSITORY = Path(__file__).resolve().parents[2]
STUB = Path(__file__).parent / "stub_gateway.py"
# A 6 s step shape: 2 users, then 4.
SHORT_STEP = {
    "SHAPE_START_USERS": "2",
    "SHAPE_STEP_USERS": "2",
    "SHAPE_STEPS": "2",
    "SHAPE_STEP_SECONDS": "3",
    "SHAPE_HOLD_SECONDS": "0",
}


def start_stub(status: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(STUB), str(port), str(status)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout.readline().strip() == "ready"
    return process, f"http://127.0.0.1:{port}"


def stop_stub(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(timeout=10)
    process.stdout.close()


@pytest.fixture
def stub_gateway(request):
    process, url = start_stub(getattr(request, "param", 200))
    try:
        yield url
    finally:
        stop_stub(process)


@pytest.fixture(scope="module")
def passing_run(tmp_path_factory):
    """One run against a stub that returns success for every request."""
    process, url = start_stub(200)
    report_dir = tmp_path_factory.mktemp("passing-run")
    try:
        result, elapsed = run_shape(url, report_dir)
    finally:
        stop_stub(process)
    return result, elapsed, report_dir


def run_shape(host: str, report_dir: Path, *extra: str):
    """Run loadtest.run with the short step; return the result and the seconds it took."""
    environment = {**os.environ, **SHORT_STEP}
    environment.pop("LOAD_SHAPE", None)
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "loadtest.run", "--host", host, "--shape", "step",
         "--report-dir", str(report_dir), "--", *extra],
        cwd=REPOSITORY, env=environment, capture_output=True, text=True, timeout=120,
    )
    return result, time.monotonic() - started


@pytest.mark.slow
def test_step_shape_ends_by_itself_and_meets_slo(passing_run):
    result, elapsed, _ = passing_run

    assert result.returncode == 0, result.stderr[-3000:]
    assert "SLO met" in result.stderr
    assert elapsed < 60


@pytest.mark.slow
def test_step_shape_writes_reports(passing_run):
    _, _, report_dir = passing_run

    assert (report_dir / "locust.html").is_file()
    assert (report_dir / "locust_stats_history.csv").is_file()
    assert (report_dir / "locust.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow
def test_step_shape_reaches_top_step(passing_run):
    _, _, report_dir = passing_run

    history = (report_dir / "locust_stats_history.csv").read_text()
    assert ",4,,Aggregated," in history


@pytest.mark.slow
@pytest.mark.parametrize("stub_gateway", [500], indirect=True)
def test_slo_failure_ratio_sets_exit_code(stub_gateway, tmp_path):
    result, _ = run_shape(stub_gateway, tmp_path)

    assert result.returncode == 1
    assert "SLO missed: failure ratio" in result.stderr


@pytest.mark.slow
def test_slo_p95_threshold_sets_exit_code(stub_gateway, tmp_path):
    result, _ = run_shape(stub_gateway, tmp_path, "--slo-max-p95-ms", "0")

    assert result.returncode == 1
    assert "SLO missed: p95" in result.stderr
