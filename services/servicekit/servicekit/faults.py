"""Fault injection for demos: added latency and failed requests on chosen routes.

Off unless FAULT_INJECTION_ENABLED=true, and configured only through the environment
(FAULT_INJECTION_RULES, a JSON list of rules), so no request can turn it on or change it.
A rule names a route template as the service declares it, e.g. "/products/{product_id}";
requests matching it wait `latency_ms`, then fail with `error_status` at `error_rate`.
"""

import asyncio
import logging
import random

import orjson
from prometheus_client import Counter
from pydantic import BaseModel, ConfigDict, Field
from starlette.types import Send

from servicekit.errors import error_body

logger = logging.getLogger(__name__)

FAULTS_INJECTED = Counter(
    "fault_injections_total",
    "Requests delayed or failed on purpose by fault injection, by route and kind.",
    ["route", "kind"],
)


class FaultRule(BaseModel):
    """One fault: which requests, how much latency, and what share of them fail."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    route: str = Field(description="Route template, as in the metrics' route label.")
    method: str | None = Field(default=None, description="HTTP method; any when unset.")
    latency_ms: int = Field(default=0, ge=0, le=60_000)
    error_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    error_status: int = Field(default=503, ge=500, le=599)


class FaultInjector:
    def __init__(self, rules: list[FaultRule], route_templates: set[str]) -> None:
        unknown = sorted({rule.route for rule in rules} - route_templates)
        if unknown:
            raise ValueError(
                f"FAULT_INJECTION_RULES names unknown routes {unknown}; "
                f"use one of {sorted(route_templates)}"
            )
        self._rules = {
            (rule.method.upper() if rule.method else None, rule.route): rule for rule in rules
        }
        logger.warning(
            "fault injection enabled",
            extra={"rules": [rule.model_dump(exclude_none=True) for rule in rules]},
        )

    def rule_for(self, method: str, route: str) -> FaultRule | None:
        return self._rules.get((method, route)) or self._rules.get((None, route))

    async def apply(self, rule: FaultRule, send: Send) -> bool:
        """Delay the request; return True when it was failed and its response sent."""
        if rule.latency_ms:
            FAULTS_INJECTED.labels(rule.route, "latency").inc()
            await asyncio.sleep(rule.latency_ms / 1000)
        if rule.error_rate <= 0 or random.random() >= rule.error_rate:
            return False

        FAULTS_INJECTED.labels(rule.route, "error").inc()
        await _send_error(send, rule.error_status)
        return True


async def _send_error(send: Send, status: int) -> None:
    body = orjson.dumps(
        error_body("fault_injected", "This request failed on purpose (fault injection).")
    )
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
