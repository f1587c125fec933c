"""The HPA algorithm against cases worked by hand from the Kubernetes documentation.

Each case gives the arithmetic in its docstring. Times are seconds; the controller
reconciles every 15 s as the default sync period does.
"""

from loadtest.hpa.algorithm import (
    HpaController,
    HpaSpec,
    MetricSample,
    MetricTarget,
    ScalingPolicy,
    ScalingRules,
    replicas_for_metric,
)

CPU_70 = (MetricTarget("cpu", 70),)
DEFAULT_UP_POLICIES = (ScalingPolicy("Percent", 100, 15), ScalingPolicy("Pods", 4, 15))
NO_WINDOW_UP = ScalingRules(0, "Max", DEFAULT_UP_POLICIES)


def make_spec(**overrides) -> HpaSpec:
    values = {
        "name": "product",
        "target_name": "product",
        "min_replicas": 1,
        "max_replicas": 100,
        "metrics": CPU_70,
    }
    values.update(overrides)
    return HpaSpec(**values)


def cpu(utilization: float, ready: int, unready: int = 0) -> dict[str, MetricSample]:
    return {"cpu": MetricSample(utilization, ready, unready)}


def run_syncs(controller, replicas, utilization_at, times):
    """Reconcile at each time with the utilization that `utilization_at(t, replicas)` gives."""
    history = []
    for now in times:
        sample = cpu(utilization_at(now, replicas), replicas)
        replicas = controller.reconcile(now, replicas, sample).desired_replicas
        history.append((now, replicas))
    return history


def test_replicas_for_metric_doubles_at_twice_target():
    """3 pods at 140% for a 70% target: ratio 2.0, ceil(3 x 2.0) = 6."""
    assert replicas_for_metric(3, MetricSample(140, 3), 70) == 6


def test_replicas_for_metric_halves_at_half_target():
    """4 pods at 35% for a 70% target: ratio 0.5, ceil(4 x 0.5) = 2."""
    assert replicas_for_metric(4, MetricSample(35, 4), 70) == 2


def test_replicas_for_metric_within_tolerance_keeps_count():
    """4 pods at 76% for 70%: ratio 1.086, within 0.1 of 1.0, so no change."""
    assert replicas_for_metric(4, MetricSample(76, 4), 70) == 4


def test_replicas_for_metric_just_past_tolerance_scales():
    """4 pods at 78% for 70%: ratio 1.114, past 1.1, ceil(4 x 1.114) = ceil(4.457) = 5."""
    assert replicas_for_metric(4, MetricSample(78, 4), 70) == 5


def test_replicas_for_metric_rounds_up():
    """3 pods at 30% for 60%: ratio 0.5, ceil(3 x 0.5) = ceil(1.5) = 2."""
    assert replicas_for_metric(3, MetricSample(30, 3), 60) == 2


def test_replicas_for_metric_unready_pods_count_as_zero():
    """2 ready pods at 140% and 2 unready, target 70: ratio 2.0 calls for a scale-up, so the
    unready pods count as 0%: (2 x 140) / (4 x 70) = 1.0, within tolerance: stay at 4."""
    assert replicas_for_metric(4, MetricSample(140, 2, 2), 70) == 4


def test_replicas_for_metric_unready_pods_still_scale_up():
    """2 ready at 210%, 2 unready, target 70: (2 x 210) / (4 x 70) = 1.5, ceil(4 x 1.5) = 6."""
    assert replicas_for_metric(4, MetricSample(210, 2, 2), 70) == 6


def test_reconcile_default_scale_up_limit_steps():
    """2 pods at 700% for 70% recommend 20. The default policies allow, per 15 s, the larger
    of +100% and +4 pods: max(2 x 2, 2 + 4) = 6, then max(12, 10) = 12, then 20 (ratio
    recomputed: 12 pods at 700 x 2 / 12 = 116.7%, ceil(12 x 1.667) = 20)."""
    controller = HpaController(make_spec(scale_up=NO_WINDOW_UP))
    demand = 2 * 700  # percent of one pod's request, spread over the pods

    history = run_syncs(controller, 2, lambda t, n: demand / n, [0, 15, 30])

    assert history == [(0, 6), (15, 12), (30, 20)]


def test_reconcile_policy_period_holds_scale_up():
    """One policy, Pods 2 per 60 s, from 2 pods wanting 20: 4 at 0 s; at 15, 30 and 45 s the
    event at 0 s is inside the period, so the limit stays 2 + 2 = 4; at 60 s it has left the
    period (only events strictly after now - 60 count), so 4 + 2 = 6."""
    rules = ScalingRules(0, "Max", (ScalingPolicy("Pods", 2, 60),))
    controller = HpaController(make_spec(scale_up=rules))

    history = run_syncs(controller, 2, lambda t, n: 1400 / n, [0, 15, 30, 45, 60])

    assert history == [(0, 4), (15, 4), (30, 4), (45, 4), (60, 6)]


def test_reconcile_scale_up_reports_limit_reason():
    controller = HpaController(make_spec(scale_up=NO_WINDOW_UP))

    decision = controller.reconcile(0, 2, cpu(700, 2))

    assert decision.reason == "ScaleUpLimit"


def _docs_scale_down(select_policy: str) -> HpaController:
    """The documentation's scale-down example: Pods 4 and Percent 10, each per 60 s."""
    rules = ScalingRules(
        0, select_policy, (ScalingPolicy("Pods", 4, 60), ScalingPolicy("Percent", 10, 60))
    )
    return HpaController(make_spec(scale_down=rules))


def test_reconcile_scale_down_percent_wins_above_40():
    """80 pods that should be 10: Pods gives 80 - 4 = 76, Percent gives int(80 x 0.9) = 72.
    selectPolicy Max takes the larger change, 72. At 15..45 s the 8 pods removed at 0 s are
    inside the 60 s period (start 80), so 72 holds; at 60 s: int(72 x 0.9) = int(64.8) = 64,
    the documentation's "7.2 rounded up to 8"."""
    controller = _docs_scale_down("Max")

    history = run_syncs(controller, 80, lambda t, n: 70 * 10 / n, [0, 15, 30, 45, 60])

    assert history == [(0, 72), (15, 72), (30, 72), (45, 72), (60, 64)]


def test_reconcile_scale_down_pods_wins_below_31():
    """30 pods that should be 10: Pods gives 26, Percent int(30 x 0.9) = 27; Max takes 26."""
    controller = _docs_scale_down("Max")

    decision = controller.reconcile(0, 30, cpu(70 * 10 / 30, 30))

    assert decision.desired_replicas == 26


def test_reconcile_scale_down_select_min():
    """selectPolicy Min takes the smaller change: max(76, 72) = 76 pods."""
    controller = _docs_scale_down("Min")

    decision = controller.reconcile(0, 80, cpu(70 * 10 / 80, 80))

    assert decision.desired_replicas == 76


def test_reconcile_scale_down_disabled():
    rules = ScalingRules(0, "Disabled", (ScalingPolicy("Percent", 100, 15),))
    controller = HpaController(make_spec(scale_down=rules))

    decision = controller.reconcile(0, 10, cpu(7, 10))

    assert decision.desired_replicas == 10


def test_reconcile_scale_up_disabled():
    rules = ScalingRules(0, "Disabled", (ScalingPolicy("Percent", 100, 15),))
    controller = HpaController(make_spec(scale_up=rules))

    decision = controller.reconcile(0, 2, cpu(140, 2))

    assert decision.desired_replicas == 2


def test_reconcile_default_scale_down_window_300s():
    """Load needs 10 pods until -15 s, then 2 from 0 s on. The default 300 s window keeps the
    highest recommendation of the last 300 s: the 10 recorded at -15 s counts while
    -15 > now - 300, that is until 270 s; at 285 s it is out and the count drops to 2
    (Percent 100 per 15 s allows removing all 8)."""
    controller = HpaController(make_spec(scale_up=NO_WINDOW_UP))
    times = list(range(-60, 301, 15))

    history = run_syncs(controller, 10, lambda t, n: 70 * (10 if t < 0 else 2) / n, times)

    replicas = dict(history)
    assert replicas[270] == 10
    assert replicas[285] == 2


def test_reconcile_scale_up_window_60s():
    """scaleUp window 60 s: 2 pods recommended until -15 s, then 6. The window keeps the
    lowest recommendation of the last 60 s: the 2 at -15 s counts while -15 > now - 60, so
    until 30 s; at 45 s the window (-15, 45] holds only 6s and the count rises to 6."""
    rules = ScalingRules(60, "Max", NO_WINDOW_UP.policies)
    controller = HpaController(make_spec(scale_up=rules))
    times = list(range(-60, 61, 15))

    history = run_syncs(controller, 2, lambda t, n: 70 * (2 if t < 0 else 6) / n, times)

    replicas = dict(history)
    assert replicas[30] == 2
    assert replicas[45] == 6


def test_reconcile_scale_up_window_reason():
    rules = ScalingRules(60, "Max", NO_WINDOW_UP.policies)
    controller = HpaController(make_spec(scale_up=rules))
    controller.reconcile(-15, 2, cpu(70, 2))

    decision = controller.reconcile(0, 2, cpu(210, 2))

    assert decision.reason == "ScaleUpStabilized"


def test_reconcile_highest_metric_wins():
    """CPU: 4 pods at 70% for 70% recommend 4. Memory: 4 pods at 120% for 80%, ratio 1.5,
    recommend 6. The HPA takes the higher, 6."""
    spec = make_spec(metrics=(MetricTarget("cpu", 70), MetricTarget("memory", 80)))
    controller = HpaController(spec)
    samples = {"cpu": MetricSample(70, 4), "memory": MetricSample(120, 4)}

    decision = controller.reconcile(0, 4, samples)

    assert decision.desired_replicas == 6


def test_reconcile_unknown_metric_blocks_scale_down():
    """CPU at 7% would scale 10 pods to 1, but memory is unknown: no scale-down."""
    spec = make_spec(
        metrics=(MetricTarget("cpu", 70), MetricTarget("memory", 80)),
        scale_down=ScalingRules(0, "Max", (ScalingPolicy("Percent", 100, 15),)),
    )
    controller = HpaController(spec)

    decision = controller.reconcile(0, 10, {"cpu": MetricSample(7, 10), "memory": None})

    assert decision.desired_replicas == 10


def test_reconcile_all_metrics_unknown_keeps_count():
    controller = HpaController(make_spec())

    decision = controller.reconcile(0, 3, {"cpu": None})

    assert decision.desired_replicas == 3


def test_reconcile_clamps_to_max_replicas():
    """10 pods at 140% recommend 20, and the policies allow 20, but maxReplicas is 12."""
    controller = HpaController(make_spec(max_replicas=12, scale_up=NO_WINDOW_UP))

    decision = controller.reconcile(0, 10, cpu(140, 10))

    assert (decision.desired_replicas, decision.reason) == (12, "TooManyReplicas")


def test_reconcile_clamps_to_min_replicas():
    """4 pods at 7% recommend ceil(4 x 0.1) = 1, but minReplicas is 2."""
    rules = ScalingRules(0, "Max", (ScalingPolicy("Percent", 100, 15),))
    controller = HpaController(make_spec(min_replicas=2, scale_down=rules))

    decision = controller.reconcile(0, 4, cpu(7, 4))

    assert (decision.desired_replicas, decision.reason) == (2, "TooFewReplicas")


def test_reconcile_above_max_goes_to_max():
    controller = HpaController(make_spec(max_replicas=5))

    decision = controller.reconcile(0, 8, cpu(70, 8))

    assert decision.desired_replicas == 5


def test_reconcile_below_min_goes_to_min():
    controller = HpaController(make_spec(min_replicas=3))

    decision = controller.reconcile(0, 1, cpu(70, 1))

    assert decision.desired_replicas == 3
