"""The ERP under a process manager — supervisor or PM2 — as in production.

Both classes run the committed configurations (``ops/supervisor/supervisord.conf``,
``ops/pm2/ecosystem.config.js``) with this run's folder, ports, database and secret in the
environment they read, so a test or a resilience scenario gets exactly what an operator gets:

    with SupervisorRun(tmp, port=free_port(), database_url=url, workers=2) as erp:
        os.killpg(erp.server_pid(), signal.SIGKILL)   # the manager starts it again
        erp.wait_ready()

The database must be migrated beforehand (``python -m erp migrate``): ``serve`` never migrates
a server database. ``stop()`` leaves nothing behind: after the manager's own shutdown it kills
every process that still carries this run's mark in its environment (the manager, the server,
its workers, anything they started), whatever became of their process groups.
"""

from __future__ import annotations

import abc
import contextlib
import http.client
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import xmlrpc.client
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType, TracebackType
from typing import Any, ClassVar, Self

import psutil

from quality.live_server import free_port

ROOT = Path(__file__).resolve().parents[1]
SUPERVISOR_CONFIG = ROOT / "ops" / "supervisor" / "supervisord.conf"
PM2_DIR = ROOT / "ops" / "pm2"
PM2_CONFIG = PM2_DIR / "ecosystem.config.js"
PROGRAM = "erp"  # the program's name in both configurations
READY_PATH = "/health/ready"
# Inherited by everything the manager starts: how stop() finds what is left of a run.
RUN_MARK = "VALEO_SUPERVISED_RUN"
# A production install has its bytecode compiled (pip and uv do so when installing). Here
# PYTHONDONTWRITEBYTECODE is set and the virtualenvs hold no .pyc, so every start compiled the
# whole import graph again: about 7 s of CPU per process instead of about 2 s, which a restart
# after a crash would pay each time. The cache lives under var/ (ignored by git).
BYTECODE_CACHE = ROOT / "var" / "pycache"
GRACEFUL_STOP_SECONDS = 45  # the configurations' stopwaitsecs / kill_timeout (30 s) and slack


class ManagerUnavailable(RuntimeError):
    """The process manager is not installed here (supervisor in the venv; node, npm)."""


class ManagerError(RuntimeError):
    """The manager or the ERP under it misbehaved; ``log`` holds the end of the logs."""

    def __init__(self, message: str, log: str = "") -> None:
        super().__init__(f"{message}\n--- logs (end) ---\n{log}" if log else message)
        self.log = log


class Supervised(abc.ABC):
    """The ERP (``python -m erp serve --workers N`` on PostgreSQL, production settings) under a
    process manager, on 127.0.0.1:``port``, with its files under ``workdir/var``."""

    name: ClassVar[str]

    def __init__(
        self,
        workdir: Path,
        *,
        port: int,
        database_url: str,
        workers: int,
        env: Mapping[str, str] = MappingProxyType({}),
        bytecode_cache: Path | None = BYTECODE_CACHE,
    ) -> None:
        """``env``: more variables for the ERP (or overrides); ``bytecode_cache``: where the
        interpreters keep compiled bytecode (None: as the calling environment says)."""
        if not database_url:
            raise ValueError("a database URL is required (an empty one would mean SQLite)")
        self.workdir = workdir.resolve()
        self.port, self.database_url, self.workers = port, database_url, workers
        self.extra_env = dict(env)
        self.bytecode_cache = bytecode_cache
        self.url = f"http://127.0.0.1:{port}"
        self.var = self.workdir / "var"
        self.log_dir = self.var / "log"
        self.log_path = self.log_dir / "erp.log"
        self.mark = secrets.token_hex(8)
        self.secret_key = self.extra_env.get("VALEO_SECRET_KEY") or secrets.token_urlsafe(40)
        self._running = False

    @property
    def manager(self) -> str:
        return self.name

    # the manager's side ----------------------------------------------------------------
    @abc.abstractmethod
    def _launch(self, env: dict[str, str]) -> None:
        """Start the manager, which starts the ERP."""

    @abc.abstractmethod
    def _manager_alive(self) -> bool:
        """The manager itself still runs."""

    @abc.abstractmethod
    def _program(self) -> tuple[int, bool]:
        """The server's pid (0 when none) and whether the manager counts it as up."""

    @abc.abstractmethod
    def _shutdown(self) -> None:
        """The manager's own stop: the ERP gracefully, then the manager."""

    @abc.abstractmethod
    def restarts(self) -> int:
        """How often the manager has restarted the ERP since start()."""

    def _manager_env(self) -> dict[str, str]:
        return {}

    def _logs(self) -> list[Path]:
        return [self.log_path]

    # environment ------------------------------------------------------------------------
    def environment(self) -> dict[str, str]:
        """What the manager runs with: the caller's environment without its VALEO_* and
        coverage settings, then this run's, then ``env``."""
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("VALEO_", "COVERAGE_")) and k != RUN_MARK
        }
        if self.bytecode_cache is not None:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = str(self.bytecode_cache)
        env.update(
            {
                "VALEO_HOME": str(self.workdir),
                "VALEO_PYTHON": sys.executable,
                "VALEO_PORT": str(self.port),
                "VALEO_WORKERS": str(self.workers),
                "VALEO_DATABASE_URL": self.database_url,
                "VALEO_SECRET_KEY": self.secret_key,
                RUN_MARK: self.mark,
                **self._manager_env(),
                **self.extra_env,
            }
        )
        return env

    # lifecycle --------------------------------------------------------------------------
    def start(self, timeout: float = 60) -> None:
        """Start the manager and wait until the ERP is ready with all its workers (and the
        manager counts it as started)."""
        if self._running:
            raise ManagerError(f"{self.name}: already started")
        for folder in (self.log_dir, self.var / "run", self.var / "metrics"):
            folder.mkdir(parents=True, exist_ok=True)
        self._running = True
        try:
            self._launch(self.environment())
            self.wait_ready(timeout)
        except BaseException:
            self.stop()
            raise

    def wait_ready(self, timeout: float = 60) -> float:
        """Wait until /health/ready answers 200, every worker runs and the manager counts
        the ERP as up; the seconds it took."""
        started = time.monotonic()
        deadline = started + timeout
        while True:
            if not self._manager_alive():
                raise ManagerError(f"{self.name} is not running", self.log_tail())
            pid, up = self._program()
            if up and pid and self.ready() and len(self._workers_of(pid)) >= self.workers:
                return time.monotonic() - started
            if time.monotonic() > deadline:
                raise ManagerError(
                    f"{self.name}: the ERP was not ready within {timeout:g} s", self.log_tail()
                )
            time.sleep(0.1)

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + READY_PATH, timeout=2) as reply:  # noqa: S310  (loopback)
                return bool(reply.status == 200)
        except (urllib.error.URLError, OSError, http.client.HTTPException):
            return False

    def stop(self) -> None:
        """Stop the ERP and the manager (gracefully first), then kill whatever is left of
        this run. Safe to call at any time, and more than once."""
        if self._running:
            try:
                self._shutdown()
            finally:
                self._running = False
        # What the manager left (or all of it, had the manager died): a few rounds, since a
        # dying server may still have been starting a replacement worker.
        for _ in range(5):
            left = self.processes()
            if not left:
                return
            for process in left:
                with contextlib.suppress(psutil.NoSuchProcess):
                    process.kill()
            psutil.wait_procs(left, timeout=10)

    def processes(self) -> list[psutil.Process]:
        """Every live process of this run (the manager, the server, workers, helpers)."""
        found = []
        for process in psutil.process_iter():
            if process.pid == os.getpid():
                continue
            with contextlib.suppress(psutil.Error):
                if process.status() == psutil.STATUS_ZOMBIE:
                    continue
                if process.environ().get(RUN_MARK) == self.mark:
                    found.append(process)
        return found

    # the ERP's processes ----------------------------------------------------------------
    def server_pid(self) -> int:
        """The ``erp serve`` process: uvicorn's parent of the workers, its group's leader."""
        pid, _ = self._program()
        if not pid:
            raise ManagerError(f"{self.name}: the ERP is not running now", self.log_tail())
        return pid

    def worker_pids(self) -> list[int]:
        """The uvicorn worker processes now (none with one worker: the server serves)."""
        return self._workers_of(self.server_pid())

    @staticmethod
    def _workers_of(server: int) -> list[int]:
        try:
            children = psutil.Process(server).children()
        except psutil.NoSuchProcess:
            return []
        workers = []
        for child in children:  # forked workers, not multiprocessing's resource tracker
            with contextlib.suppress(psutil.Error):
                if not any("resource_tracker" in part for part in child.cmdline()):
                    workers.append(child.pid)
        return workers

    def log_tail(self, lines: int = 30) -> str:
        parts = []
        for path in self._logs():
            if path.exists():
                text = path.read_text(errors="replace").splitlines()[-lines:]
                parts.append(f"== {path.name}\n" + "\n".join(text))
        return "\n".join(parts)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class _TimeoutTransport(xmlrpc.client.Transport):
    def make_connection(self, host: Any) -> http.client.HTTPConnection:
        connection = super().make_connection(host)
        connection.timeout = 5
        return connection


class SupervisorRun(Supervised):
    """supervisord (in the foreground, our child) with ``ops/supervisor/supervisord.conf``;
    controlled through its XML-RPC port with the run's user and password, and stopped with
    ``supervisorctl shutdown`` over its unix socket."""

    name = "supervisor"

    def __init__(
        self,
        workdir: Path,
        *,
        port: int,
        database_url: str,
        workers: int,
        env: Mapping[str, str] = MappingProxyType({}),
        bytecode_cache: Path | None = BYTECODE_CACHE,
    ) -> None:
        super().__init__(
            workdir,
            port=port,
            database_url=database_url,
            workers=workers,
            env=env,
            bytecode_cache=bytecode_cache,
        )
        self.supervisord = self.tool("supervisord")
        self.supervisorctl = self.tool("supervisorctl")
        self.control_port = free_port()
        self.user, self.password = "valeo", secrets.token_urlsafe(16)
        self.main_log = self.log_dir / "supervisord.log"
        self._process: subprocess.Popen[bytes] | None = None
        self._log_start = 0

    @staticmethod
    def tool(name: str) -> str:
        """supervisor's command from this interpreter's environment (else from PATH)."""
        beside = Path(sys.executable).parent / name
        found = str(beside) if beside.is_file() else shutil.which(name)
        if found is None:
            raise ManagerUnavailable(f"{name} is not installed (pip install supervisor==4.3.0)")
        return found

    def _manager_env(self) -> dict[str, str]:
        return {
            "VALEO_SUPERVISOR_PORT": str(self.control_port),
            "VALEO_SUPERVISOR_USER": self.user,
            "VALEO_SUPERVISOR_PASSWORD": self.password,
        }

    def _logs(self) -> list[Path]:
        return [self.main_log, self.log_dir / "supervisord.console.log", self.log_path]

    def _launch(self, env: dict[str, str]) -> None:
        self._log_start = self.main_log.stat().st_size if self.main_log.exists() else 0
        with (self.log_dir / "supervisord.console.log").open("ab") as console:
            self._process = subprocess.Popen(
                [self.supervisord, "--nodaemon", "--configuration", str(SUPERVISOR_CONFIG)],
                cwd=self.workdir,
                env=env,
                stdout=console,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def rpc(self, method: str, *args: Any) -> Any:
        """Call supervisord's XML-RPC interface: ``rpc("supervisor.getState")``."""
        url = f"http://{self.user}:{self.password}@127.0.0.1:{self.control_port}/RPC2"
        with xmlrpc.client.ServerProxy(url, transport=_TimeoutTransport()) as proxy:
            return getattr(proxy, method)(*args)

    def _manager_alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def _program(self) -> tuple[int, bool]:
        try:
            info = self.rpc("supervisor.getProcessInfo", PROGRAM)
        except (OSError, xmlrpc.client.Error, http.client.HTTPException):
            return 0, False
        return int(info["pid"]), info["statename"] == "RUNNING"

    def restarts(self) -> int:
        """Counted from supervisord's log: each start of the program is a ``spawned:`` line."""
        if not self.main_log.exists():
            return 0
        with self.main_log.open("rb") as log:
            log.seek(self._log_start)
            spawned = log.read().count(f"spawned: '{PROGRAM}' with pid".encode())
        return max(0, spawned - 1)

    def _shutdown(self) -> None:
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            with contextlib.suppress(subprocess.SubprocessError, OSError):
                subprocess.run(
                    [self.supervisorctl, "--configuration", str(SUPERVISOR_CONFIG), "shutdown"],
                    cwd=self.workdir,
                    env=self.environment(),
                    capture_output=True,
                    timeout=30,
                    check=False,
                )
            try:
                process.wait(GRACEFUL_STOP_SECONDS)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        self._process = None


class Pm2Run(Supervised):
    """PM2 (``ops/pm2``, ``npm ci`` there first) with ``ops/pm2/ecosystem.config.js``; its
    daemon lives in ``workdir/var/pm2`` (PM2_HOME, never ~/.pm2) and ends with ``pm2 kill``."""

    name = "pm2"

    def __init__(
        self,
        workdir: Path,
        *,
        port: int,
        database_url: str,
        workers: int,
        env: Mapping[str, str] = MappingProxyType({}),
        bytecode_cache: Path | None = BYTECODE_CACHE,
    ) -> None:
        super().__init__(
            workdir,
            port=port,
            database_url=database_url,
            workers=workers,
            env=env,
            bytecode_cache=bytecode_cache,
        )
        self.pm2 = ensure_pm2()
        self.home = self.var / "pm2"

    def _manager_env(self) -> dict[str, str]:
        return {"PM2_HOME": str(self.home), "PM2_KILL_SIGNAL": "SIGTERM"}

    def _logs(self) -> list[Path]:
        return [self.home / "pm2.log", self.log_path]

    def _command(self, *args: str, timeout: float = 60) -> str:
        result = subprocess.run(
            [self.pm2, *args],
            cwd=self.workdir,
            env=self.environment(),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            output = (result.stdout + result.stderr).decode(errors="replace")
            raise ManagerError(f"pm2 {' '.join(args)} exited {result.returncode}", output)
        return result.stdout.decode(errors="replace")

    def _launch(self, env: dict[str, str]) -> None:
        self._command("start", str(PM2_CONFIG))

    def _daemon_pid(self) -> int | None:
        try:
            return int((self.home / "pm2.pid").read_text().strip())
        except (OSError, ValueError):
            return None

    def _manager_alive(self) -> bool:
        pid = self._daemon_pid()
        return pid is not None and psutil.pid_exists(pid)

    def _app(self) -> dict[str, Any] | None:
        if not self._manager_alive():  # every pm2 command would start a daemon
            return None
        try:
            apps = json.loads(self._command("jlist"))
        except (ManagerError, subprocess.SubprocessError, json.JSONDecodeError):
            return None
        for app in apps:
            if app.get("name") == PROGRAM:
                found: dict[str, Any] = app
                return found
        return None

    def _program(self) -> tuple[int, bool]:
        app = self._app()
        if app is None:
            return 0, False
        return int(app.get("pid") or 0), app["pm2_env"]["status"] == "online"

    def restarts(self) -> int:
        """PM2's own count (``restart_time``)."""
        app = self._app()
        return 0 if app is None else int(app["pm2_env"]["restart_time"])

    def _shutdown(self) -> None:
        if self._manager_alive():
            with contextlib.suppress(ManagerError, subprocess.SubprocessError, OSError):
                self._command("kill", timeout=GRACEFUL_STOP_SECONDS)
        pid = self._daemon_pid()
        if pid is not None and psutil.pid_exists(pid):
            with contextlib.suppress(psutil.Error):
                daemon = psutil.Process(pid)
                if daemon.environ().get(RUN_MARK) == self.mark:
                    daemon.kill()


def ensure_pm2(install: bool = True) -> str:
    """The pinned pm2 from ops/pm2 (``npm ci`` there when it is missing and ``install``)."""
    pm2 = PM2_DIR / "node_modules" / ".bin" / "pm2"
    if pm2.exists():
        return str(pm2)
    if shutil.which("node") is None:
        raise ManagerUnavailable("node is not installed (PM2 runs on Node.js)")
    npm = shutil.which("npm")
    if npm is None or not install:
        raise ManagerUnavailable(f"{pm2} is missing: run npm ci in {PM2_DIR}")
    env = {**os.environ, "npm_config_cache": str(ROOT / "var" / "npm-cache")}  # not ~/.npm
    result = subprocess.run(
        [npm, "ci", "--no-fund", "--no-audit"],
        cwd=PM2_DIR,
        env=env,
        capture_output=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0 or not pm2.exists():
        output = (result.stdout + result.stderr).decode(errors="replace")
        raise ManagerUnavailable(f"npm ci in {PM2_DIR} failed:\n{output}")
    return str(pm2)


MANAGERS: dict[str, type[Supervised]] = {"supervisor": SupervisorRun, "pm2": Pm2Run}
