#!/usr/bin/env bash
# A user journey through the gateway: register, log in, read the profile, list products,
# list orders. Fails on the first unexpected status.
# Usage: GATEWAY_URL=http://127.0.0.1:8080 ci/smoke.sh
set -euo pipefail

GATEWAY_URL=${GATEWAY_URL:-http://127.0.0.1:8080}
API="$GATEWAY_URL/api/v1"
email="smoke-$(date +%s)-$RANDOM@example.com"
password="smoke-password-$RANDOM$RANDOM"

expect() {
    local expected=$1 method=$2 path=$3
    shift 3
    local status
    status=$(curl --silent --show-error --max-time 10 --output /tmp/smoke-body \
        --write-out '%{http_code}' --request "$method" "$@" "$API$path")
    if [[ "$status" != "$expected" ]]; then
        echo "$method $path returned $status, expected $expected: $(cat /tmp/smoke-body)" >&2
        exit 1
    fi
    echo "$method $path -> $status"
}

json=(--header 'Content-Type: application/json')
expect 201 POST /users "${json[@]}" \
    --data "{\"email\": \"$email\", \"password\": \"$password\", \"name\": \"Smoke Test\"}"
expect 200 POST /auth/token "${json[@]}" \
    --data "{\"email\": \"$email\", \"password\": \"$password\"}"
token=$(python3 -c 'import json; print(json.load(open("/tmp/smoke-body"))["access_token"])')
auth=(--header "Authorization: Bearer $token")
expect 200 GET /users/me "${auth[@]}"
expect 200 GET "/products?limit=5"
expect 200 GET /orders "${auth[@]}"
echo "smoke journey passed"
