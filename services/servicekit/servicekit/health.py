"""Liveness and readiness endpoints.

Liveness checks only that the process responds, so a database outage never restarts pods.
Readiness runs the service's dependency checks and fails while the process drains.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse

logger = logging.getLogger(__name__)

ReadinessCheck = Callable[[], Awaitable[None]]


class Health:
    """Readiness state: the dependency checks and the draining flag."""

    def __init__(self, checks: dict[str, ReadinessCheck], timeout: float) -> None:
        self.checks = checks
        self.timeout = timeout
        self.draining = False

    async def run_checks(self) -> dict[str, str]:
        names = list(self.checks)
        results = await asyncio.gather(
            *(self._run_one(self.checks[name]) for name in names)
        )
        return dict(zip(names, results, strict=True))

    async def _run_one(self, check: ReadinessCheck) -> str:
        try:
            await asyncio.wait_for(check(), self.timeout)
        except TimeoutError:
            return "timed out"
        except Exception as exc:  # noqa: BLE001 - any failure means not ready
            return f"failed: {type(exc).__name__}"
        return "ok"


router = APIRouter(include_in_schema=False)


@router.get("/healthz")
async def read_liveness() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def read_readiness(request: Request) -> JSONResponse:
    health: Health = request.app.state.health
    if health.draining:
        return JSONResponse({"status": "draining", "checks": {}}, status_code=503)

    results = await health.run_checks()
    ready = all(result == "ok" for result in results.values())
    if not ready:
        logger.warning("readiness check failed", extra={"checks": results})
    status = "ready" if ready else "not ready"
    return JSONResponse({"status": status, "checks": results}, status_code=200 if ready else 503)
