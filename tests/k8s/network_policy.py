"""A small NetworkPolicy evaluator: which pod may open which port on which other pod.

It covers what the manifests use: pod and namespace selectors, named and numbered ports,
and policies in one namespace. It follows
https://kubernetes.io/docs/concepts/services-networking/network-policies/: a connection
needs the source's egress and the destination's ingress to allow it, and a pod that no
policy selects for a direction is open in that direction.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Pod:
    name: str
    namespace: str
    labels: dict = field(hash=False)
    # (protocol, number) -> port name ("" when unnamed)
    ports: dict = field(hash=False)


def selects(selector: dict, labels: dict) -> bool:
    for key, value in selector.get("matchLabels", {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions", []):
        key, operator = expression["key"], expression["operator"]
        values = expression.get("values", [])
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


def _namespace_labels(namespace: str) -> dict:
    return {"kubernetes.io/metadata.name": namespace}


def _peer_matches(peer: dict, policy_namespace: str, pod: Pod) -> bool:
    if "namespaceSelector" in peer:
        namespace_ok = selects(peer["namespaceSelector"], _namespace_labels(pod.namespace))
    else:
        namespace_ok = pod.namespace == policy_namespace
    return namespace_ok and selects(peer.get("podSelector", {}), pod.labels)


def _port_matches(rule: dict, target: Pod, protocol: str, number: int) -> bool:
    if not rule.get("ports"):
        return True
    for port in rule["ports"]:
        if port.get("protocol", "TCP") != protocol:
            continue
        expected_port = port.get("port")
        if expected_port is None:
            return True
        if isinstance(expected_port, str) and target.ports.get((protocol, number)) == expected_port:
            return True
        if isinstance(expected_port, int) and expected_port <= number <= port.get(
            "endPort", expected_port
        ):
            return True
    return False


def _direction_allows(
    policies: list[dict],
    subject: Pod,
    peer: Pod,
    target: Pod,
    protocol: str,
    number: int,
    direction: str,
) -> bool:
    """Check one side: `subject`'s policies for `direction` admit `peer` on the target port."""
    policy_type, rules_key, peers_key = {
        "ingress": ("Ingress", "ingress", "from"),
        "egress": ("Egress", "egress", "to"),
    }[direction]
    applicable = [
        policy
        for policy in policies
        if policy["metadata"]["namespace"] == subject.namespace
        and policy_type in policy["spec"].get("policyTypes", ["Ingress"])
        and selects(policy["spec"]["podSelector"], subject.labels)
    ]
    if not applicable:
        return True

    for policy in applicable:
        for rule in policy["spec"].get(rules_key, []):
            peers = rule.get(peers_key)
            peer_ok = not peers or any(
                _peer_matches(item, subject.namespace, peer) for item in peers
            )
            if peer_ok and _port_matches(rule, target, protocol, number):
                return True
    return False


def allowed(policies: list[dict], source: Pod, target: Pod, protocol: str, number: int) -> bool:
    egress = _direction_allows(policies, source, target, target, protocol, number, "egress")
    ingress = _direction_allows(policies, target, source, target, protocol, number, "ingress")
    return egress and ingress
