"""Run a service under uvicorn with a graceful stop.

On SIGTERM or SIGINT the service first reports not ready and keeps serving for
`drain_seconds`, so that load balancers stop sending it traffic. Then uvicorn stops
accepting connections and lets in-flight requests finish within
`graceful_timeout_seconds`. Last, the lifespan shutdown runs and the process exits 0.
"""

import asyncio
import logging
import signal

import uvicorn
from fastapi import FastAPI

from servicekit.logs import configure_logging
from servicekit.settings import ServiceSettings

logger = logging.getLogger(__name__)


class DrainingServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, app: FastAPI, drain_seconds: float) -> None:
        super().__init__(config)
        self._app = app
        self._drain_seconds = drain_seconds

    def handle_exit(self, sig: int, frame) -> None:
        if self._app.state.health.draining:
            # A second signal means the caller does not want to wait.
            super().handle_exit(sig, frame)
            return

        self._app.state.health.draining = True
        logger.info(
            "shutdown signal received; draining",
            extra={"signal": signal.Signals(sig).name, "drain_seconds": self._drain_seconds},
        )
        if self._drain_seconds <= 0:
            self.should_exit = True
            return
        asyncio.get_running_loop().call_later(self._drain_seconds, self._stop_after_drain)

    def _stop_after_drain(self) -> None:
        self.should_exit = True


def run(app: FastAPI, settings: ServiceSettings) -> None:
    """Serve the app until a signal stops it; blocks."""
    configure_logging(settings.service_name, settings.log_level)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        access_log=False,
        log_config=None,
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=settings.graceful_timeout_seconds,
    )
    DrainingServer(config, app, settings.drain_seconds).run()
