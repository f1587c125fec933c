#!/usr/bin/env bash
# CI step: build the four images for linux/amd64 and linux/arm64 with docker buildx and,
# with PUSH=true, push them as $REGISTRY/shop/<service>-service:$TAG.
# Usage: REGISTRY=ghcr.io/<owner> TAG=<git sha> [PUSH=true] ci/build-push.sh
set -euo pipefail
cd "$(dirname "$0")/.."

: "${REGISTRY:?set REGISTRY, e.g. ghcr.io/<owner>}"
: "${TAG:?set TAG, e.g. the commit SHA}"
PLATFORMS=${PLATFORMS:-linux/amd64,linux/arm64}
PUSH=${PUSH:-false}

output=--output=type=image,push=false
if [[ "$PUSH" == true ]]; then
    output=--push
fi

for service in gateway user product order; do
    image="$REGISTRY/shop/$service-service:$TAG"
    echo "building $image for $PLATFORMS"
    docker buildx build \
        --platform "$PLATFORMS" \
        --file "services/$service/Dockerfile" \
        --tag "$image" \
        --build-arg "REVISION=$TAG" \
        --cache-from "type=gha,scope=$service" \
        --cache-to "type=gha,mode=max,scope=$service" \
        "$output" \
        .
done
