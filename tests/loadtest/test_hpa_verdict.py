"""Verdicts on a run given as HPA documents, one per poll, with Locust's history.

The run (fixtures/hpa_run_gateway.jsonl, written by hand from the gateway's HPA document,
15 s between polls): CPU crosses 70% at 30 s, the HPA sets 6 desired pods at 45 s, load drops
at 165 s, and the HPA scales in to 3 at 480 s, 330 s after the last recommendation of 6
pods (at 150 s). Memory stays at 35%, which alone recommends 3 pods. Locust counted
3 failures during the scale-up.
"""

import dataclasses
import json
from pathlib import Path

from loadtest.history import read_history
from loadtest.hpa.manifests import parse_hpa as parse_hpa_spec
from loadtest.hpa.observer import HpaSample, parse_hpa
from loadtest.hpa.verdict import HistoryPoint, judge, raw_recommendation, scaling_intervals

FIXTURES = Path(__file__).parent / "fixtures"
POLL = 15.0


def recorded_samples() -> list[HpaSample]:
    samples = []
    for line in (FIXTURES / "hpa_run_gateway.jsonl").read_text().splitlines():
        record = json.loads(line)
        sample = parse_hpa(record["hpa"], record["timestamp"])
        samples.append(dataclasses.replace(sample, ready_replicas=record["readyReplicas"]))
    return samples


def recorded_spec():
    document = json.loads(FIXTURES.joinpath("hpa_run_gateway.jsonl").read_text().splitlines()[0])
    return parse_hpa_spec(document["hpa"])


def recorded_history() -> list[HistoryPoint]:
    rows = read_history(FIXTURES / "history_gateway.csv")
    return [HistoryPoint(r.timestamp, r.total_requests, r.total_failures) for r in rows]


def judge_samples(samples, history=None, max_failure_ratio=0.01):
    return judge(
        samples,
        recorded_spec(),
        recorded_history() if history is None else history,
        poll_seconds=POLL,
        max_failure_ratio=max_failure_ratio,
    )


def check(verdict, name):
    return next(c for c in verdict.checks if c.name == name)


def test_verdict_recorded_run_passes():
    verdict = judge_samples(recorded_samples())

    assert verdict.passed, verdict.format()


def test_verdict_measures_time_to_scale_up():
    verdict = judge_samples(recorded_samples())

    assert "target crossed at 30 s, first scale-up 15 s later (3 -> 6" in check(
        verdict, "scale-up"
    ).detail


def test_verdict_scale_in_delay_after_window():
    verdict = judge_samples(recorded_samples())

    assert "330 s after the last higher recommendation" in check(verdict, "scale-in").detail


def test_verdict_counts_failures_while_scaling():
    verdict = judge_samples(recorded_samples())

    assert "3 of 8500 requests failed" in check(verdict, "failures while scaling").detail


def test_verdict_early_scale_in_fails():
    samples = recorded_samples()
    early = next(i for i, s in enumerate(samples) if s.timestamp - samples[0].timestamp == 240)
    samples[early] = dataclasses.replace(samples[early], desired_replicas=3)

    verdict = judge_samples(samples)

    assert check(verdict, "scale-in").passed is False
    assert not verdict.passed


def test_verdict_above_max_replicas_fails():
    samples = recorded_samples()
    samples[6] = dataclasses.replace(samples[6], current_replicas=12, desired_replicas=12)

    verdict = judge_samples(samples)

    assert check(verdict, "maxReplicas").passed is False


def test_verdict_failures_above_limit_fail():
    history = [HistoryPoint(p.timestamp, p.requests, p.requests // 10) for p in recorded_history()]

    verdict = judge_samples(recorded_samples(), history=history)

    assert check(verdict, "failures while scaling").passed is False


def test_verdict_no_scale_up_when_target_crossed_fails():
    samples = [
        dataclasses.replace(s, current_replicas=3, desired_replicas=3, ready_replicas=3)
        for s in recorded_samples()
    ]

    verdict = judge_samples(samples)

    assert check(verdict, "scale-up").passed is False


def test_verdict_no_scale_in_is_not_seen():
    samples = [s for s in recorded_samples() if s.timestamp - recorded_samples()[0].timestamp < 400]

    verdict = judge_samples(samples)

    assert check(verdict, "scale-in").passed is None
    assert verdict.passed


def test_verdict_all_unknown_reports_explanation():
    document = json.loads((FIXTURES / "hpa_list_no_metrics_server.json").read_text())["items"][0]
    samples = [parse_hpa(document, float(t)) for t in range(0, 60, 15)]

    verdict = judge(samples, parse_hpa_spec(document), [], poll_seconds=POLL,
                    max_failure_ratio=0.01)

    assert not verdict.passed
    assert "metrics-server" in verdict.format()


def test_raw_recommendation_within_tolerance_keeps_current():
    sample = recorded_samples()[10]  # 6 pods at 71% for a 70% target

    assert raw_recommendation(sample) == 6


def test_scaling_intervals_cover_changes_and_unready_pods():
    samples = recorded_samples()
    start = samples[0].timestamp

    intervals = [(a - start, b - start) for a, b in scaling_intervals(samples, POLL)]

    assert intervals == [(30.0, 75.0), (465.0, 495.0)]
