"""Helpers of the benchmark: CPU pinning, one-connection latency, start-to-ready time."""

import http.client
import os
import statistics
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from devstack.ports import free_port
from devstack.process import ServiceProcess

# Requests timed on one keep-alive connection for the hop latency.
LATENCY_REQUESTS = 2000


def wait_http(url: str, timeout: float = 30.0) -> None:
    """Poll `url` until it returns 200."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"{url} did not return 200 within {timeout} s")


def descendants(pid: int) -> list[int]:
    """Return the pids of every process below `pid`, read from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(text[text.rindex(")") + 2 :].split()[1])
        parents.setdefault(parent, []).append(int(entry.name))
    found, queue = [], [pid]
    while queue:
        for child in parents.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


def pin_tree(pid: int, cpu: int) -> None:
    """Pin every process below `pid` (servers, PostgreSQL backends, Redis) to one CPU."""
    for child in descendants(pid):
        try:
            os.sched_setaffinity(child, {cpu})
        except (ProcessLookupError, PermissionError):
            continue


def one_connection_p50_ms(url: str, count: int = LATENCY_REQUESTS) -> float:
    """Return the median latency of `count` sequential GETs on one connection, in ms."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    timings = []
    try:
        for _ in range(count):
            started = time.perf_counter()
            connection.request("GET", path)
            connection.getresponse().read()
            timings.append((time.perf_counter() - started) * 1000)
    finally:
        connection.close()
    return statistics.median(timings[count // 10 :])


def ready_seconds(service: ServiceProcess) -> float:
    """Start one more instance of a service on core 0; return seconds until /readyz is 200."""
    process = ServiceProcess(service.module, service.env, port=free_port(),
                             name=f"{service.name}-start")
    started = time.monotonic()
    process.start(wait_ready=False)
    os.sched_setaffinity(process.process.pid, {0})
    try:
        process.wait_ready()
        return time.monotonic() - started
    finally:
        process.stop()
