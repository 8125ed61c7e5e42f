"""The live-server runner: the app as a real subprocess on a free loopback port.

One implementation for e2e, contracts, load and resilience runs: a fresh database (a
temporary SQLite file, or a throwaway PostgreSQL database), migrated and seeded, readiness
awaited, a clean SIGTERM stop. Server coverage is collected only when asked for (tracing
distorts timings): coverage.py's ``patch = subprocess`` hands the measurement to the child
through the environment, so turning it off means removing those variables.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

from sqlalchemy import create_engine, make_url, text

from quality.config import QualityConfig

COVERAGE_VARIABLES = ("COVERAGE_PROCESS_START", "COVERAGE_PROCESS_CONFIG")


class LiveServerError(RuntimeError):
    """The server did not come up; ``log`` holds the end of its output."""

    def __init__(self, message: str, log: str) -> None:
        super().__init__(f"{message}\n--- server log (end) ---\n{log}")
        self.log = log


def resolve(argv: tuple[str, ...]) -> list[str]:
    """ "python" in the configuration means the interpreter running the harness (its venv)."""
    return [sys.executable if i == 0 and arg == "python" else arg for i, arg in enumerate(argv)]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class LiveServer:
    """``with LiveServer(config, workdir) as server: requests to server.url``."""

    def __init__(
        self,
        config: QualityConfig,
        workdir: Path,
        *,
        coverage: bool = False,
        seed: bool = True,
        postgres_admin_url: str | None = None,
        extra_env: dict[str, str] | None = None,
        serve_args: tuple[str, ...] = (),
        ready_timeout: float = 30.0,
        database_template: Path | None = None,
        cpus: frozenset[int] | None = None,
    ) -> None:
        """``database_template``: a prepared SQLite file copied in instead of seeding;
        ``cpus``: the cores the server (and its workers) may run on."""
        self.config, self.workdir, self.coverage, self.seed = config, workdir, coverage, seed
        self.postgres_admin_url = postgres_admin_url
        self.extra_env = extra_env or {}
        self.serve_args = serve_args
        self.ready_timeout = ready_timeout
        self.database_template, self.cpus = database_template, cpus
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "server.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._database: str | None = None
        self.database_url = ""

    # environment --------------------------------------------------------------------
    def _env(self) -> dict[str, str]:
        prefix = self.config.app.env_prefix
        env = {**os.environ, **self.extra_env}
        env.update(
            {
                f"{prefix}ENVIRONMENT": "test",
                f"{prefix}DATA_DIR": str(self.workdir / "data"),
                f"{prefix}DATABASE_URL": self.database_url,
                f"{prefix}SECRET_KEY": env.get(f"{prefix}SECRET_KEY") or secrets.token_urlsafe(40),
            }
        )
        if not self.coverage:
            for name in COVERAGE_VARIABLES:
                env.pop(name, None)
        return env

    def _create_database(self) -> None:
        if self.postgres_admin_url is None:
            database = self.workdir / "data" / "live.sqlite3"
            for stale in (database, *database.parent.glob("live.sqlite3-*")):
                stale.unlink(missing_ok=True)  # a fresh database on every start
            if self.database_template is not None:
                shutil.copyfile(self.database_template, database)
            self.database_url = f"sqlite:///{database}"
            return
        if self.database_template is not None:
            raise LiveServerError("a database template is a SQLite file: not for PostgreSQL", "")
        self._database = f"valeo_live_{secrets.token_hex(6)}"
        admin = create_engine(self.postgres_admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{self._database}"'))
        admin.dispose()
        url = make_url(self.postgres_admin_url).set(database=self._database)
        self.database_url = url.render_as_string(hide_password=False)

    def _drop_database(self) -> None:
        if self._database is None or self.postgres_admin_url is None:
            return
        admin = create_engine(self.postgres_admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self._database}" WITH (FORCE)'))
        admin.dispose()
        self._database = None

    # lifecycle ----------------------------------------------------------------------
    def start(self) -> LiveServer:
        (self.workdir / "data").mkdir(parents=True, exist_ok=True)
        self._create_database()
        env = self._env()
        steps = [self.config.app.migrate] + ([self.config.app.seed] if self.seed else [])
        with self.log_path.open("ab") as log:
            for step in filter(None, steps):
                code = subprocess.call(
                    resolve(step),
                    cwd=self.config.root,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
                if code != 0:
                    raise LiveServerError(f"{' '.join(step)} exited {code}", self.log_tail())
            serve = [
                *resolve(self.config.app.serve),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                *self.serve_args,
            ]
            self.process = subprocess.Popen(
                serve,
                cwd=self.config.root,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=self._pin if self.cpus else None,  # noqa: PLW1509  (one system call)
            )
        self._wait_ready()
        return self

    def _pin(self) -> None:
        assert self.cpus is not None
        os.sched_setaffinity(0, self.cpus)

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise LiveServerError(
                    f"server exited with {self.process.returncode}", self.log_tail()
                )
            try:
                with urllib.request.urlopen(self.url + self.config.app.health, timeout=2) as reply:  # noqa: S310
                    if reply.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)
        self.stop()
        raise LiveServerError(f"not ready within {self.ready_timeout:g} s", self.log_tail())

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM (finishes requests, writes coverage), SIGKILL only as a last resort."""
        code = None
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                code = self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                code = self.process.wait()
        elif self.process is not None:
            code = self.process.returncode
        self._drop_database()
        return code

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
