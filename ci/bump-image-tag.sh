#!/usr/bin/env bash
# CI release step: point the prod overlay at the images just pushed, so that Argo CD,
# which watches kustomize/overlays/prod on main, deploys them. The caller commits the change.
# Usage: REGISTRY=ghcr.io/<owner> TAG=<git sha> ci/bump-image-tag.sh
set -euo pipefail
cd "$(dirname "$0")/.."

: "${REGISTRY:?set REGISTRY, e.g. ghcr.io/<owner>}"
: "${TAG:?set TAG, e.g. the commit SHA}"
KUSTOMIZATION=kustomize/overlays/prod/kustomization.yaml

# Rewrites only the newName and newTag lines under each `- name: shop/<service>-service`
# entry, so the file's comments stay.
python3 - "$KUSTOMIZATION" "$REGISTRY" "$TAG" <<'PY'
import re
import sys

path, registry, tag = sys.argv[1:]
text = open(path).read()
pattern = re.compile(
    r"(- name: shop/(?P<service>[a-z]+)-service\n)(\s+)newName: \S+\n(\s+)newTag: \S+\n"
)


def replace(match):
    service = match["service"]
    return (
        f"{match[1]}{match[3]}newName: {registry}/shop/{service}-service\n"
        f"{match[4]}newTag: {tag}\n"
    )


text, count = pattern.subn(replace, text)
if count != 4:
    sys.exit(f"expected 4 image entries in {path}, found {count}")
open(path, "w").write(text)
PY
echo "prod overlay now uses $REGISTRY/shop/*-service:$TAG"
