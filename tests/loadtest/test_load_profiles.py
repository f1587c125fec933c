"""Load profiles, the SLO check, Locust history parsing and the plots."""

from pathlib import Path

import pytest

from loadtest.history import read_history
from loadtest.plots import plot_load_test, plot_replicas
from loadtest.profiles import ProfileError, build_profile
from loadtest.slo import SloThresholds, violations

FIXTURES = Path(__file__).parent / "fixtures"


def test_step_profile_steps_and_holds():
    profile = build_profile("step", {"start_users": 10, "step_users": 10, "steps": 3,
                                     "step_seconds": 60, "hold_seconds": 30})

    assert [profile.users_at(t) for t in (0, 59, 60, 120, 179, 200)] == [10, 10, 20, 30, 30, 30]
    assert profile.duration_seconds == 210


def test_profiles_end_after_duration():
    for name in ("step", "spike", "soak", "ramp-down"):
        profile = build_profile(name)

        assert profile.tick(profile.duration_seconds - 1) is not None, name
        assert profile.tick(profile.duration_seconds) is None, name


def test_spike_profile_jumps_and_returns():
    profile = build_profile("spike", {"base_users": 5, "spike_users": 100, "base_seconds": 10,
                                      "spike_seconds": 10, "recovery_seconds": 10})

    assert [profile.users_at(t) for t in (0, 10, 19, 20)] == [5, 100, 100, 5]


def test_ramp_down_profile_descends_linearly():
    profile = build_profile("ramp-down", {"peak_users": 100, "floor_users": 0,
                                          "peak_seconds": 10, "ramp_seconds": 100})

    assert [profile.users_at(t) for t in (0, 10, 60, 110, 500)] == [100, 100, 50, 0, 0]


def test_build_profile_reads_environment():
    profile = build_profile("soak", environ={"SHAPE_USERS": "7", "SHAPE_SOAK_SECONDS": "60"})

    assert (profile.users, profile.soak_seconds) == (7, 60.0)


def test_build_profile_values_override_environment():
    profile = build_profile("soak", {"users": 3}, environ={"SHAPE_USERS": "7"})

    assert profile.users == 3


def test_build_profile_rejects_unknown_name():
    with pytest.raises(ProfileError, match="unknown shape 'wave'"):
        build_profile("wave")


def test_build_profile_rejects_bad_number():
    with pytest.raises(ProfileError, match="users must be a number"):
        build_profile("soak", environ={"SHAPE_USERS": "many"})


def test_build_profile_rejects_negative():
    with pytest.raises(ProfileError, match="must be 0 or more"):
        build_profile("soak", {"users": -1})


def test_build_profile_rejects_zero_steps():
    with pytest.raises(ProfileError, match="steps must be 1 or more"):
        build_profile("step", {"steps": 0})


def test_slo_violations_within_thresholds():
    assert violations(1000, 5, 200.0, SloThresholds()) == []


def test_slo_violations_failure_ratio():
    (message,) = violations(1000, 20, 200.0, SloThresholds())

    assert message == "failure ratio 2.00% (20 of 1000) is above 1.00%"


def test_slo_violations_p95():
    (message,) = violations(1000, 0, 800.0, SloThresholds(max_p95_ms=500))

    assert message == "p95 800 ms is above 500 ms"


def test_slo_violations_no_requests():
    assert violations(0, 0, None, SloThresholds()) != []


def test_read_history_aggregated_rows():
    rows = read_history(FIXTURES / "history_gateway.csv")

    assert len(rows) == 103
    assert (rows[-1].total_requests, rows[-1].total_failures) == (51000, 3)
    assert (rows[0].p50_ms, rows[0].p95_ms, rows[0].p99_ms) == (12.0, 32.0, 60.0)


def test_plot_load_test_writes_png(tmp_path):
    rows = read_history(FIXTURES / "history_gateway.csv")

    path = plot_load_test(rows, tmp_path / "run.png")

    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_replicas_writes_png(tmp_path):
    series = {"product": [(0.0, 2, 40.0), (15.0, 4, None), (30.0, 4, 70.0)]}

    path = plot_replicas(series, {"product": 10}, [(0.0, 10.0), (30.0, 50.0)],
                         tmp_path / "hpa.png", "test", {"product": 70})

    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
