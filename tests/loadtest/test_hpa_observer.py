"""Parsing of `kubectl get hpa -o json` documents and the explanations of <unknown> metrics."""

import json
import subprocess
from pathlib import Path

import pytest

from loadtest.hpa.observer import (
    Kubectl,
    ObserverError,
    parse_hpa_list,
    parse_ready_replicas,
)

FIXTURES = Path(__file__).parent / "fixtures"


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def test_parse_hpa_list_reads_replicas():
    gateway, product = parse_hpa_list(load("hpa_list_scaling.json"), timestamp=10.0)

    assert (gateway.name, gateway.current_replicas, gateway.desired_replicas) == ("gateway", 3, 6)
    assert (product.min_replicas, product.max_replicas) == (2, 10)


def test_parse_hpa_list_reads_metrics():
    gateway, _ = parse_hpa_list(load("hpa_list_scaling.json"), timestamp=10.0)

    assert (gateway.metric("cpu").current, gateway.metric("cpu").target) == (131, 70)
    assert (gateway.metric("memory").current, gateway.metric("memory").target) == (54, 80)


def test_parse_hpa_list_known_metrics_have_no_explanation():
    gateway, product = parse_hpa_list(load("hpa_list_scaling.json"), timestamp=10.0)

    assert gateway.explanation == ""
    assert product.explanation == ""


def test_parse_hpa_list_reads_conditions():
    gateway, _ = parse_hpa_list(load("hpa_list_scaling.json"), timestamp=10.0)

    assert gateway.conditions["AbleToScale"][1] == "SucceededRescale"


def test_parse_hpa_without_metrics_server_is_unknown():
    (product,) = parse_hpa_list(load("hpa_list_no_metrics_server.json"), timestamp=0.0)

    assert product.metric("cpu").current is None
    assert product.metric("memory").current is None


def test_explanation_names_metrics_server():
    (product,) = parse_hpa_list(load("hpa_list_no_metrics_server.json"), timestamp=0.0)

    assert "metrics-server is missing or not ready" in product.explanation
    assert "cpu, memory unknown" in product.explanation


def test_explanation_names_missing_cpu_request():
    (order,) = parse_hpa_list(load("hpa_list_no_cpu_request.json"), timestamp=0.0)

    assert order.metric("cpu").current is None
    assert order.metric("memory").current == 61
    assert "has no resource request" in order.explanation
    assert "order-7c9f8d6b5-k2x8q" in order.explanation


def test_explanation_for_new_hpa_says_wait():
    (user,) = parse_hpa_list(load("hpa_list_new.json"), timestamp=0.0)

    assert "has not processed user yet" in user.explanation


def test_parse_ready_replicas_defaults_missing_to_zero():
    ready = parse_ready_replicas(load("deployments.json"))

    assert ready == {"gateway": 4, "product": 2, "order": 0}


def test_kubectl_without_context_fails_clearly(tmp_path, monkeypatch):
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "missing-config"))
    kubectl = Kubectl("shop")

    with pytest.raises(ObserverError, match="no kubectl context is set"):
        kubectl.check_context()


def test_kubectl_missing_binary_fails_clearly():
    kubectl = Kubectl("shop", executable="/nonexistent/kubectl")

    with pytest.raises(ObserverError, match="not found"):
        kubectl.check_context()


def test_cluster_run_without_context_exits_2(tmp_path):
    environment = {"KUBECONFIG": str(tmp_path / "missing-config"), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [".venv/bin/python", "-m", "loadtest.hpa.cluster_run", "--env", "dev",
         "--host", "http://127.0.0.1:9"],
        capture_output=True, text=True, timeout=60, env=environment,
        cwd=Path(__file__).resolve().parents[2],
    )

    assert result.returncode == 2
    assert "no kubectl context is set" in result.stderr
