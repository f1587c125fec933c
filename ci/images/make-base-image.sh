#!/usr/bin/env bash
# Build a local Python base image from Debian packages, for machines that cannot pull
# python:3.11-slim from Docker Hub: debootstrap (minbase) bookworm with python3 and
# python3-venv, then `docker import`. Skips the work when the image already exists, and
# FORCE=1 rebuilds it. Runs as root, because debootstrap needs chroot.
set -euo pipefail

BASE_IMAGE=${BASE_IMAGE:-shop-python-base:3.11}
DEBIAN_SUITE=${DEBIAN_SUITE:-bookworm}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
DEBIAN_SECURITY_MIRROR=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
DOCKER=${DOCKER:-/usr/bin/docker}
FORCE=${FORCE:-0}

# python3-venv brings ensurepip, which the Dockerfiles' builder stage uses to install uv.
# ca-certificates lets pip and uv verify PyPI's certificate.
PACKAGES=python3,python3-venv,ca-certificates

if [[ "$FORCE" != 1 ]] && "$DOCKER" image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
    echo "$BASE_IMAGE exists; set FORCE=1 to rebuild it"
    exit 0
fi

rootfs=$(mktemp -d /var/tmp/shop-python-base.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT

echo "debootstrap $DEBIAN_SUITE into $rootfs"
debootstrap --variant=minbase --include="$PACKAGES" "$DEBIAN_SUITE" "$rootfs" "$DEBIAN_MIRROR"

# Point releases lag behind security fixes, so upgrade from the updates and security suites.
cat >"$rootfs/etc/apt/sources.list" <<SOURCES
deb $DEBIAN_MIRROR $DEBIAN_SUITE main
deb $DEBIAN_MIRROR $DEBIAN_SUITE-updates main
deb $DEBIAN_SECURITY_MIRROR $DEBIAN_SUITE-security main
SOURCES
chroot "$rootfs" apt-get update -qq
DEBIAN_FRONTEND=noninteractive chroot "$rootfs" apt-get -y -qq upgrade

# An image needs no package lists, downloaded packages, manuals or translations.
chroot "$rootfs" apt-get clean
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* \
    "$rootfs"/usr/share/locale/* "$rootfs"/var/log/*.log "$rootfs"/tmp/*

python_version=$(chroot "$rootfs" python3 -c 'import platform; print(platform.python_version())')
echo "importing $BASE_IMAGE (Python $python_version)"
tar --numeric-owner -C "$rootfs" -c . | "$DOCKER" import \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["python3"]' \
    --change "LABEL org.opencontainers.image.description=\"Debian $DEBIAN_SUITE minbase with Python $python_version\"" \
    - "$BASE_IMAGE"
"$DOCKER" image ls "$BASE_IMAGE"
