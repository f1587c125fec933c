#!/usr/bin/env bash
# Create the Secrets the prod overlay references but never renders, with random values:
# jwt (JWT_SECRET) and <service>-database (POSTGRES_PASSWORD, DATABASE_URL) for user,
# product and order. An existing Secret is left as it is, because PostgreSQL keeps the
# password it was initialised with; rotate by hand (docs/runbook.md).
# Usage: CONTEXT=<kube context> [NAMESPACE=shop] ci/create-secrets.sh
set -euo pipefail

KUBECTL=${KUBECTL:-kubectl}
NAMESPACE=${NAMESPACE:-shop}
: "${CONTEXT:?set CONTEXT to the kubectl context to create the Secrets in}"

kube() {
    "$KUBECTL" --context "$CONTEXT" --namespace "$NAMESPACE" "$@"
}

random_secret() {
    # URL-safe characters only, because the password is also part of DATABASE_URL.
    openssl rand -base64 48 | tr -d '\n/+='
}

create_if_missing() {
    local name=$1
    shift
    if kube get secret "$name" >/dev/null 2>&1; then
        echo "Secret $name exists; left unchanged"
        return
    fi
    kube create secret generic "$name" "$@"
    echo "Secret $name created"
}

"$KUBECTL" --context "$CONTEXT" get namespace "$NAMESPACE" >/dev/null 2>&1 \
    || "$KUBECTL" --context "$CONTEXT" apply -k "$(dirname "$0")/../k8s/namespace"

create_if_missing jwt --from-literal="JWT_SECRET=$(random_secret)"

# The database names and the role match k8s/postgres/<owner>/statefulset.yaml.
declare -A DATABASES=([user]=users [product]=products [order]=orders)
for owner in user product order; do
    password=$(random_secret)
    create_if_missing "$owner-database" \
        --from-literal="POSTGRES_PASSWORD=$password" \
        --from-literal="DATABASE_URL=postgresql://shop:$password@postgres-$owner:5432/${DATABASES[$owner]}"
done
