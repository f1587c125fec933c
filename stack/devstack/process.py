"""A service run as its own process (`python -m <module>`), as a pod would run it."""

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx


class ServiceError(RuntimeError):
    pass


class ServiceProcess:
    """One service process; output goes to a log file that `logs()` returns."""

    def __init__(
        self,
        module: str,
        env: dict[str, str],
        *,
        port: int,
        name: str = "",
        log_dir: Path | None = None,
    ) -> None:
        self.module = module
        self.name = name or module
        self.env = env
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        if log_dir is not None:
            self.log_file = log_dir / f"{self.name}.log"
        else:
            handle, path = tempfile.mkstemp(
                prefix=f"devstack-{self.name}-", suffix=".log", dir=_default_log_dir()
            )
            os.close(handle)
            self.log_file = Path(path)
        self.process: subprocess.Popen | None = None

    def start(self, *, wait_ready: bool = True, timeout: float = 30.0) -> "ServiceProcess":
        environment = {**os.environ, **self.env, "PORT": str(self.port), "HOST": "127.0.0.1"}
        with open(self.log_file, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", self.module],
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                # A terminal's Ctrl-C then reaches only the parent, which stops the
                # services one by one with SIGTERM, in order.
                start_new_session=True,
            )
        if wait_ready:
            self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 30.0) -> float:
        """Poll /readyz until it returns 200; return the seconds waited."""
        started = time.monotonic()
        deadline = started + timeout
        with httpx.Client(timeout=1.0) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise ServiceError(
                        f"{self.name} exited with code {self.process.returncode} at start:\n"
                        f"{self.logs()[-4000:]}"
                    )
                try:
                    if client.get(f"{self.url}/readyz").status_code == 200:
                        return time.monotonic() - started
                except httpx.TransportError:
                    pass
                time.sleep(0.05)
        raise ServiceError(f"{self.name} not ready after {timeout} s:\n{self.logs()[-4000:]}")

    def stop(self, timeout: float = 30.0) -> int:
        """Send SIGTERM and wait for the process to exit by itself; return its exit code."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise ServiceError(f"{self.name} did not exit within {timeout} s of SIGTERM") from None

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def restart(self, timeout: float = 30.0) -> "ServiceProcess":
        self.stop()
        return self.start(timeout=timeout)

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def logs(self) -> str:
        return self.log_file.read_text(errors="replace")


def _default_log_dir() -> Path | None:
    """Return DEVSTACK_LOG_DIR when set (the pytest plugin sets it to a session folder)."""
    folder = os.environ.get("DEVSTACK_LOG_DIR")
    return Path(folder) if folder else None
