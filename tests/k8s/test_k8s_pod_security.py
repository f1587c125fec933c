"""Pod Security Standards, `restricted` profile, checked on every rendered pod template.

The rules follow https://kubernetes.io/docs/concepts/security/pod-security-standards/
(baseline and restricted controls as of Kubernetes 1.29 to 1.37).
"""

import pytest
from k8s_gate import all_containers, pod_templates

ALLOWED_VOLUME_TYPES = {
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
}
ALLOWED_CAPABILITY_ADDS = {"NET_BIND_SERVICE"}
SAFE_SYSCTLS = {
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
}


def pod_violations(pod: dict) -> list[str]:
    """Return the restricted-profile rules a pod spec breaks (pod-level fields)."""
    violations = []
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(field):
            violations.append(f"{field} is set")
    for volume in pod.get("volumes", []):
        kinds = set(volume) - {"name"}
        if not kinds <= ALLOWED_VOLUME_TYPES:
            violations.append(f"volume {volume['name']} has type {sorted(kinds)}")

    context = pod.get("securityContext", {})
    for sysctl in context.get("sysctls", []):
        if sysctl["name"] not in SAFE_SYSCTLS:
            violations.append(f"sysctl {sysctl['name']} is not in the safe set")
    if context.get("runAsUser") == 0:
        violations.append("pod runAsUser is 0")
    return violations


def container_violations(pod: dict, container: dict) -> list[str]:
    """Return the rules a container breaks, taking pod-level defaults into account."""
    pod_context = pod.get("securityContext", {})
    context = container.get("securityContext", {})

    def effective(field: str):
        return context.get(field, pod_context.get(field))

    violations = []
    if context.get("privileged"):
        violations.append("privileged")
    if context.get("allowPrivilegeEscalation") is not False:
        violations.append("allowPrivilegeEscalation is not false")
    if effective("runAsNonRoot") is not True:
        violations.append("runAsNonRoot is not true")
    if effective("runAsUser") == 0:
        violations.append("runAsUser is 0")
    seccomp = (effective("seccompProfile") or {}).get("type")
    if seccomp not in ("RuntimeDefault", "Localhost"):
        violations.append(f"seccompProfile type is {seccomp}")
    capabilities = context.get("capabilities", {})
    if "ALL" not in capabilities.get("drop", []):
        violations.append("capabilities do not drop ALL")
    extra = set(capabilities.get("add", [])) - ALLOWED_CAPABILITY_ADDS
    if extra:
        violations.append(f"capabilities add {sorted(extra)}")
    if context.get("procMount", "Default") != "Default":
        violations.append("procMount is not Default")
    for port in container.get("ports", []):
        if port.get("hostPort"):
            violations.append(f"hostPort {port['hostPort']}")
    apparmor = (effective("appArmorProfile") or {}).get("type", "RuntimeDefault")
    if apparmor == "Unconfined":
        violations.append("appArmorProfile is Unconfined")
    return violations


def test_pod_templates_meet_restricted(rendered):
    failures = {}
    for name, pod in pod_templates(rendered):
        problems = pod_violations(pod)
        for container in all_containers(pod):
            problems += [f"{container['name']}: {p}" for p in container_violations(pod, container)]
        if problems:
            failures[name] = problems

    assert failures == {}


def test_containers_have_read_only_root_and_writable_tmp(rendered):
    failures = []
    for name, pod in pod_templates(rendered):
        volumes = {volume["name"]: volume for volume in pod.get("volumes", [])}
        for container in all_containers(pod):
            label = f"{name}/{container['name']}"
            if container.get("securityContext", {}).get("readOnlyRootFilesystem") is not True:
                failures.append(f"{label}: root filesystem is writable")
            mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
            if "/tmp" in mounts and "emptyDir" not in volumes.get(mounts["/tmp"], {}):
                failures.append(f"{label}: /tmp is not an emptyDir")

    assert failures == []


@pytest.mark.parametrize("kind", ["Deployment"])
def test_service_pods_mount_tmp(overlay, kind):
    for workload in overlay.of_kind(kind):
        for container in all_containers(workload["spec"]["template"]["spec"]):
            paths = {mount["mountPath"] for mount in container.get("volumeMounts", [])}
            if container["image"].startswith("redis"):
                continue

            assert "/tmp" in paths, f"{workload['metadata']['name']}/{container['name']}"


def test_service_account_tokens_not_mounted(overlay):
    for name, pod in pod_templates(overlay):
        assert pod.get("automountServiceAccountToken") is False, name
    for account in overlay.of_kind("ServiceAccount"):
        assert account.get("automountServiceAccountToken") is False, account["metadata"]["name"]


def test_pod_security_check_catches_root_pod():
    pod = {"containers": [{"name": "app", "securityContext": {"runAsUser": 0}}]}

    problems = container_violations(pod, pod["containers"][0])

    assert "runAsUser is 0" in problems
    assert "allowPrivilegeEscalation is not false" in problems
    assert "capabilities do not drop ALL" in problems
