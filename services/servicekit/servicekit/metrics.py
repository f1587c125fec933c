"""Prometheus metrics: HTTP requests by route template, and the PostgreSQL pool."""

from collections.abc import Callable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response

# Buckets in seconds, from a cached read (~1 ms) to a slow saga (several seconds).
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter(
    "http_requests_total",
    "HTTP requests handled, by method, route template and status code.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "http_request_duration_seconds",
    "Time from request start to the end of the response body, in seconds.",
    ["method", "route"],
    buckets=LATENCY_BUCKETS,
)
IN_FLIGHT = Gauge(
    "http_requests_in_flight",
    "HTTP requests being handled now, by method and route template.",
    ["method", "route"],
)


class PoolCollector(Collector):
    """Reports an asyncpg pool's size, idle and in-use connections at scrape time."""

    def __init__(self, get_pool: Callable[[], object | None]) -> None:
        self._get_pool = get_pool

    def collect(self):
        pool = self._get_pool()
        if pool is None:
            return

        size = pool.get_size()
        idle = pool.get_idle_size()
        yield _gauge("db_pool_connections", "Open connections in the pool.", size)
        yield _gauge("db_pool_idle_connections", "Idle connections in the pool.", idle)
        yield _gauge("db_pool_in_use_connections", "Connections lent out now.", size - idle)
        yield _gauge("db_pool_max_connections", "Pool maximum size.", pool.get_max_size())


def _gauge(name: str, help_text: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, help_text, value=value)


def register_pool_collector(get_pool: Callable[[], object | None]) -> PoolCollector:
    collector = PoolCollector(get_pool)
    REGISTRY.register(collector)
    return collector


async def metrics_endpoint(request: Request) -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
