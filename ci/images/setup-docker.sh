#!/usr/bin/env bash
# Make a Docker engine usable on a Debian host without systemd: install docker.io and
# debootstrap when missing, then start dockerd in the background when no engine responds.
# Safe to run again, because every step checks first. Runs as root.
set -euo pipefail

DOCKERD_LOG=${DOCKERD_LOG:-/var/log/dockerd.log}
DOCKERD_PIDFILE=${DOCKERD_PIDFILE:-/var/run/docker.pid}
SOCKET_WAIT_SECONDS=${SOCKET_WAIT_SECONDS:-60}

# The client from the docker.io package, which build.sh also uses.
DOCKER=/usr/bin/docker

install_packages() {
    local missing=()
    [[ -x /usr/sbin/dockerd ]] || missing+=(docker.io)
    [[ -x /usr/sbin/debootstrap ]] || missing+=(debootstrap)
    if ((${#missing[@]} == 0)); then
        return
    fi

    echo "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

engine_responds() {
    "$DOCKER" version --format '{{.Server.Version}}' >/dev/null 2>&1
}

start_dockerd() {
    echo "starting dockerd (log: $DOCKERD_LOG)"
    nohup /usr/sbin/dockerd --pidfile "$DOCKERD_PIDFILE" >>"$DOCKERD_LOG" 2>&1 &
    echo "dockerd PID $!"

    local deadline=$((SECONDS + SOCKET_WAIT_SECONDS))
    until engine_responds; do
        if ((SECONDS >= deadline)); then
            echo "dockerd did not respond within ${SOCKET_WAIT_SECONDS}s; last log lines:" >&2
            tail -n 20 "$DOCKERD_LOG" >&2
            exit 1
        fi
        sleep 0.5
    done
}

install_packages
if engine_responds; then
    echo "Docker engine already running: $("$DOCKER" version --format '{{.Server.Version}}')"
else
    start_dockerd
    echo "Docker engine ready: $("$DOCKER" version --format '{{.Server.Version}}')"
fi
