"""NetworkPolicies: the rendered policies allow exactly the connections the system needs."""

from k8s_gate import NAMESPACE, SERVICES, pod_templates
from network_policy import Pod, allowed, selects

DNS = Pod(
    "kube-dns", "kube-system", {"k8s-app": "kube-dns"}, {("UDP", 53): "dns", ("TCP", 53): "dns-tcp"}
)
PROMETHEUS = Pod("prometheus", "monitoring", {"app.kubernetes.io/name": "prometheus"}, {})
INGRESS_CONTROLLER = Pod(
    "ingress-nginx", "ingress-nginx", {"app.kubernetes.io/name": "ingress-nginx"}, {}
)
OUTSIDE = (DNS, PROMETHEUS, INGRESS_CONTROLLER)


def shop_pods(render_) -> list[Pod]:
    pods = []
    for label, pod_spec in pod_templates(render_):
        kind, _, name = label.partition("/")
        workload = render_.named(kind, name)
        ports = {
            (port.get("protocol", "TCP"), port["containerPort"]): port.get("name", "")
            for container in pod_spec["containers"]
            for port in container.get("ports", [])
        }
        labels = workload["spec"]["template"]["metadata"]["labels"]
        pods.append(Pod(name, NAMESPACE, labels, ports))
    return pods


def actual_connections(render_) -> set[tuple[str, str, str, int]]:
    policies = render_.of_kind("NetworkPolicy")
    pods = [*shop_pods(render_), *OUTSIDE]
    connections = set()
    for source in pods:
        for target in pods:
            if source is target or NAMESPACE not in (source.namespace, target.namespace):
                continue
            for protocol, number in target.ports:
                if allowed(policies, source, target, protocol, number):
                    connections.add((source.name, target.name, protocol, number))
    return connections


def expected_connections(render_) -> set[tuple[str, str, str, int]]:
    names = [pod.name for pod in shop_pods(render_)]
    expected = {(name, "kube-dns", protocol, 53) for name in names for protocol in ("UDP", "TCP")}
    # Any source may reach the gateway's http port: it is the public entry.
    expected |= {(pod.name, "gateway", "TCP", 8000) for pod in OUTSIDE}
    expected |= {("prometheus", service, "TCP", 8000) for service in SERVICES}
    expected |= {("gateway", service, "TCP", 8000) for service in ("user", "product", "order")}
    expected |= {("order", "product", "TCP", 8000)}
    expected |= {(service, "redis", "TCP", 6379) for service in SERVICES}
    expected |= {
        (owner, f"postgres-{owner}", "TCP", 5432) for owner in ("user", "product", "order")
    }
    return expected


def test_policies_allow_only_needed_paths(overlay):
    actual = actual_connections(overlay)
    expected = expected_connections(overlay)

    assert sorted(actual - expected) == [], "allowed but not needed"
    assert sorted(expected - actual) == [], "needed but blocked"


def test_default_deny_covers_both_directions(overlay):
    policy = overlay.named("NetworkPolicy", "default-deny")

    assert policy["spec"]["podSelector"] == {}
    assert sorted(policy["spec"]["policyTypes"]) == ["Egress", "Ingress"]
    assert "ingress" not in policy["spec"]
    assert "egress" not in policy["spec"]


def test_evaluator_blocks_unlisted_peer():
    policy = {
        "metadata": {"name": "p", "namespace": NAMESPACE},
        "spec": {
            "podSelector": {"matchLabels": {"app.kubernetes.io/name": "db"}},
            "policyTypes": ["Ingress"],
            "ingress": [
                {"from": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "a"}}}]}
            ],
        },
    }
    a = Pod("a", NAMESPACE, {"app.kubernetes.io/name": "a"}, {})
    b = Pod("b", NAMESPACE, {"app.kubernetes.io/name": "b"}, {})
    db = Pod("db", NAMESPACE, {"app.kubernetes.io/name": "db"}, {("TCP", 5432): "postgres"})

    assert allowed([policy], a, db, "TCP", 5432)
    assert not allowed([policy], b, db, "TCP", 5432)


def test_selector_expressions():
    selector = {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["web"]}]}

    assert selects(selector, {"tier": "web"})
    assert not selects(selector, {"tier": "db"})
    assert not selects(selector, {})
