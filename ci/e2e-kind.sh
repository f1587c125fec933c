#!/usr/bin/env bash
# CI end-to-end job: a kind cluster, `skaffold run` of the dev profile, the smoke journey
# through the gateway, then a short load that the HPA must see (targets not <unknown>).
# Needs kind, skaffold, kubectl and Docker on PATH. The cluster is deleted at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

KIND_CLUSTER=${KIND_CLUSTER:-shop}
CONTEXT=kind-$KIND_CLUSTER
LOAD_SECONDS=${LOAD_SECONDS:-60}
LOAD_WORKERS=${LOAD_WORKERS:-8}
LOCAL_PORT=${LOCAL_PORT:-8080}

cleanup() {
    [[ -n "${forward_pid:-}" ]] && kill "$forward_pid" 2>/dev/null || true
    kubectl --context "$CONTEXT" -n shop get pods -o wide || true
    kind delete cluster --name "$KIND_CLUSTER" || true
}
trap cleanup EXIT

make kind-up KIND_CLUSTER="$KIND_CLUSTER" KUBECTL=kubectl
skaffold run --profile dev --kube-context "$CONTEXT" --status-check=true

kubectl --context "$CONTEXT" -n shop port-forward service/gateway "$LOCAL_PORT:80" &
forward_pid=$!
for _ in $(seq 50); do
    curl --silent --fail "http://127.0.0.1:$LOCAL_PORT/healthz" >/dev/null && break
    sleep 0.2
done

GATEWAY_URL="http://127.0.0.1:$LOCAL_PORT" ci/smoke.sh

echo "load: $LOAD_WORKERS workers for $LOAD_SECONDS s"
end=$((SECONDS + LOAD_SECONDS))
load_pids=()
for _ in $(seq "$LOAD_WORKERS"); do
    (while ((SECONDS < end)); do
        curl --silent --output /dev/null --max-time 5 "http://127.0.0.1:$LOCAL_PORT/api/v1/products?limit=20"
    done) &
    load_pids+=($!)
done
wait "${load_pids[@]}"

kubectl --context "$CONTEXT" -n shop get hpa
if kubectl --context "$CONTEXT" -n shop get hpa --no-headers | grep -q '<unknown>'; then
    echo "an HPA has no metrics: is metrics-server running? (docs/runbook.md)" >&2
    exit 1
fi
