#!/usr/bin/env bash
# CI step: the manifest gate over every overlay and component combination. With CI=true,
# a missing ../shared/schemas, Docker engine or image is a failure instead of a skip.
set -euo pipefail
cd "$(dirname "$0")/.."
make validate
