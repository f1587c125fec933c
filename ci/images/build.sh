#!/usr/bin/env bash
# Build the service images (tags shop/<name>-service:$TAG) from the repository root.
# Usage: ci/images/build.sh [SERVICE...]   (default: user product order gateway)
# PYTHON_IMAGE selects the base: the local one from make-base-image.sh by default, or an
# official python:3.11.x-slim-bookworm where Docker Hub is reachable.
set -euo pipefail
cd "$(dirname "$0")/../.."

PYTHON_IMAGE=${PYTHON_IMAGE:-shop-python-base:3.11}
TAG=${TAG:-dev}
# The Dockerfiles' RUN --mount needs BuildKit. The docker.io client (20.10) drives the
# daemon's built-in BuildKit, but a newer client needs the buildx plugin for it.
DOCKER=${DOCKER:-/usr/bin/docker}
# CA bundle that verifies PyPI through a TLS-intercepting proxy. It is passed as a BuildKit
# secret, so it lands in no image layer. Set CA_FILE= (empty) to pass none.
CA_FILE=${CA_FILE-${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}}

services=("$@")
if ((${#services[@]} == 0)); then
    services=(user product order gateway)
fi

revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
source_url=$(git config --get remote.origin.url 2>/dev/null || echo unknown)
secret_args=()
if [[ -n "$CA_FILE" && -f "$CA_FILE" ]]; then
    secret_args=(--secret "id=ca,src=$CA_FILE")
fi

project_version() {
    python3 -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb"))["project"]["version"])' \
        "services/$1/pyproject.toml"
}

for service in "${services[@]}"; do
    image="shop/$service-service:$TAG"
    started=$SECONDS
    echo "building $image from $PYTHON_IMAGE"
    DOCKER_BUILDKIT=1 "$DOCKER" build \
        --file "services/$service/Dockerfile" \
        --tag "$image" \
        --build-arg "PYTHON_IMAGE=$PYTHON_IMAGE" \
        --build-arg "VERSION=$(project_version "$service")" \
        --build-arg "REVISION=$revision" \
        --build-arg "SOURCE_URL=$source_url" \
        "${secret_args[@]}" \
        .
    size=$("$DOCKER" image inspect "$image" --format '{{.Size}}')
    echo "built $image in $((SECONDS - started)) s, size $((size / 1000000)) MB"
done
