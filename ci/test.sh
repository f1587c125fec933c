#!/usr/bin/env bash
# CI step: the test suite against real PostgreSQL, Redis and service processes. The
# manifest gate (tests/k8s) runs in its own job through ci/gate.sh, after the images exist.
set -euo pipefail
cd "$(dirname "$0")/.."
make test PYTEST_ARGS="--ignore=tests/k8s"
