"""A throwaway PostgreSQL server on 127.0.0.1, from the pgserver wheel's binaries.

PostgreSQL refuses to run as root, so under root the server runs as `nobody`, from a
copy of the binaries that `nobody` can read when the installed ones sit under a private
folder such as /root.
"""

import importlib.util
import logging
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

logger = logging.getLogger(__name__)

UNPRIVILEGED_USER = "nobody"


class PostgresError(RuntimeError):
    pass


def find_bin_dir() -> Path:
    """Locate initdb and postgres: PG_BIN_DIR, then the pgserver wheel, then PATH."""
    explicit = os.environ.get("PG_BIN_DIR")
    if explicit:
        return Path(explicit)

    # find_spec locates the wheel without importing it; its import has side effects.
    spec = importlib.util.find_spec("pgserver")
    if spec is not None and spec.submodule_search_locations:
        bundled = Path(spec.submodule_search_locations[0]) / "pginstall" / "bin"
        if (bundled / "postgres").exists():
            return bundled

    found = shutil.which("postgres")
    if found:
        return Path(found).resolve().parent
    raise PostgresError(
        "No PostgreSQL binaries found: install the pgserver package, or set PG_BIN_DIR "
        "to a folder containing initdb and postgres."
    )


class PostgresServer:
    """Start with start(), stop with stop(); data lives in a temporary folder."""

    def __init__(self, port: int, *, max_connections: int = 300) -> None:
        self.port = port
        self.max_connections = max_connections
        self.bin_dir = find_bin_dir()
        self.run_as = _unprivileged_user() if os.geteuid() == 0 else None
        self.root = Path(tempfile.mkdtemp(prefix="devstack-postgres-"))
        self.data_dir = self.root / "data"
        self.log_file = self.root / "postgres.log"
        self.process: subprocess.Popen | None = None

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self, timeout: float = 30.0) -> None:
        if self.run_as is not None:
            self.bin_dir = _readable_copy(self.bin_dir, self.run_as)
            os.chown(self.root, self.run_as.pw_uid, self.run_as.pw_gid)
        self._initdb()
        self._launch()
        self._wait_ready(timeout)
        logger.info("postgres started on port %s (data in %s)", self.port, self.data_dir)

    def _initdb(self) -> None:
        command = [
            str(self.bin_dir / "initdb"),
            "-D", str(self.data_dir),
            "-U", "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--no-sync",
        ]
        result = self._run(command)
        if result.returncode != 0:
            raise PostgresError(f"initdb failed:\n{result.stdout}{result.stderr}")

    def _launch(self) -> None:
        # fsync and synchronous_commit are off, because this server stores throwaway data only.
        command = [
            str(self.bin_dir / "postgres"),
            "-D", str(self.data_dir),
            "-p", str(self.port),
            "-k", str(self.root),
            "-c", "listen_addresses=127.0.0.1",
            "-c", f"max_connections={self.max_connections}",
            "-c", "fsync=off",
            "-c", "synchronous_commit=off",
            "-c", "full_page_writes=off",
            "-c", "shared_buffers=128MB",
        ]
        with open(self.log_file, "ab") as log:
            self.process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                **self._user_kwargs(),
            )

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise PostgresError(f"postgres exited at start:\n{self.log_file.read_text()}")
            ready = subprocess.run(
                [str(self.bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
                capture_output=True,
            )
            if ready.returncode == 0:
                return
            time.sleep(0.1)
        raise PostgresError(f"postgres not ready after {timeout} s:\n{self.log_file.read_text()}")

    def create_database(self, name: str, *, recreate: bool = False) -> str:
        """Create the database if missing (dropped first when recreate); return its DSN."""
        if recreate:
            self.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        exists = self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'")
        if exists.strip() != "1":
            self.psql(f'CREATE DATABASE "{name}"')
        return self.dsn(name)

    def psql(self, sql: str, database: str = "postgres") -> str:
        command = [
            str(self.bin_dir / "psql"),
            "-h", "127.0.0.1",
            "-p", str(self.port),
            "-U", "postgres",
            "-d", database,
            "-v", "ON_ERROR_STOP=1",
            "-tA",
            "-c", sql,
        ]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            raise PostgresError(f"psql failed on {sql!r}: {result.stderr.strip()}")
        return result.stdout

    def stop(self, timeout: float = 15.0) -> None:
        """Fast shutdown (SIGINT), then remove the data folder."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(2)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)
        logger.info("postgres stopped")

    def restart(self, downtime: float = 0.0) -> None:
        """Stop the server keeping its data, wait `downtime` seconds, and start it again."""
        self.process.send_signal(2)
        self.process.wait(15)
        time.sleep(downtime)
        self._launch()
        self._wait_ready(30)

    def _run(self, command: list[str]) -> subprocess.CompletedProcess:
        return subprocess.run(command, capture_output=True, text=True, **self._user_kwargs())

    def _user_kwargs(self) -> dict:
        if self.run_as is None:
            return {}
        return {"user": self.run_as.pw_uid, "group": self.run_as.pw_gid, "cwd": str(self.root)}


def _unprivileged_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(UNPRIVILEGED_USER)
    except KeyError as exc:
        raise PostgresError(
            f"Running as root, but user {UNPRIVILEGED_USER!r} does not exist to run postgres."
        ) from exc


def _readable_copy(bin_dir: Path, user: pwd.struct_passwd) -> Path:
    """Return an install folder the user can execute, copying it to /tmp when needed."""
    check = subprocess.run(
        [str(bin_dir / "postgres"), "--version"],
        capture_output=True,
        user=user.pw_uid,
        group=user.pw_gid,
        cwd="/",
    )
    if check.returncode == 0:
        return bin_dir

    install = bin_dir.parent
    target = Path(tempfile.gettempdir()) / f"devstack-pginstall-{os.stat(install).st_ino}"
    if not (target / "bin" / "postgres").exists():
        staging = Path(tempfile.mkdtemp(prefix="devstack-pginstall-"))
        shutil.copytree(install, staging / "install", symlinks=True)
        staging.chmod(0o755)
        os.replace(staging / "install", target)
        shutil.rmtree(staging, ignore_errors=True)
    return target / "bin"
