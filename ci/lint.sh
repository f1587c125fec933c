#!/usr/bin/env bash
# CI step: ruff over the Python sources, the same target a developer runs.
set -euo pipefail
cd "$(dirname "$0")/.."
make lint
