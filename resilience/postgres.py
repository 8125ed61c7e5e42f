"""A private PostgreSQL cluster that can be stopped and started at will.

The resilience runner (``python -m resilience``) stops the database under load; the tests
stop it too (``tests.throwaway_services``). Never the machine's shared server: the cluster
runs from a temporary folder of its own on a free loopback port, and the folder is removed
by ``close()``. PostgreSQL's ``initdb`` and ``pg_ctl`` refuse to run as root; as root they
run as the ``postgres`` user (``runuser``), in a folder that user owns.

    with PrivatePostgres() as postgres:
        url = postgres.create_database("valeo")
        postgres.stop(); postgres.start()
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Self

from sqlalchemy import create_engine, text

from quality.live_server import free_port

POSTGRES_BINARIES = "/usr/lib/postgresql/*/bin"  # Debian keeps initdb and pg_ctl here
POSTGRES_USER = "postgres"


class Unavailable(RuntimeError):
    """The tools to start the server are not on this machine."""


def _version(path: Path) -> tuple[int, ...]:
    digits = path.parent.name.split(".")
    return tuple(int(d) for d in digits if d.isdigit())


def postgres_bin_dir() -> Path:
    """The newest installed server's bin folder (or the PATH's), with initdb and pg_ctl."""
    candidates = sorted(Path("/").glob(POSTGRES_BINARIES.lstrip("/")), key=_version)
    for folder in reversed(candidates):
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(on_path).parent
    raise Unavailable(f"no initdb/pg_ctl in {POSTGRES_BINARIES} or on PATH")


def children(parent: int) -> list[int]:
    """The processes whose parent is ``parent`` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            # "pid (name) state ppid ...": the name may hold spaces, so split after its ")".
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == parent:
                found.append(int(stat.parent.name))
    return found


class PrivatePostgres:
    """A PostgreSQL cluster of its own: ``start()``/``stop()`` as often as needed."""

    def __init__(self) -> None:
        self.bin = postgres_bin_dir()
        self.as_user: list[str] = []
        self.owner: pwd.struct_passwd | None = None
        if os.geteuid() == 0:
            runuser = shutil.which("runuser")
            if runuser is None:
                raise Unavailable("running as root and runuser is missing")
            try:
                self.owner = pwd.getpwnam(POSTGRES_USER)
            except KeyError:
                raise Unavailable(f"running as root and there is no {POSTGRES_USER} user") from None
            self.as_user = [runuser, "-u", POSTGRES_USER, "--"]
        self.port = free_port()
        self.folder: Path | None = None
        self.running = False

    @property
    def data(self) -> Path:
        assert self.folder is not None, "create() first"
        return self.folder / "data"

    def _run(self, *argv: str, timeout: float = 60) -> None:
        result = subprocess.run(
            [*self.as_user, *argv], capture_output=True, timeout=timeout, check=False
        )
        if result.returncode != 0:
            output = (result.stdout + result.stderr).decode(errors="replace")
            raise RuntimeError(f"{' '.join(argv)} exited {result.returncode}:\n{output}")

    def create(self) -> Self:
        """initdb into a fresh temporary folder, then start."""
        # Not pytest's tmp_path: its parents are root's alone, closed to the postgres user.
        self.folder = Path(tempfile.mkdtemp(prefix="valeo-pg-"))
        if self.owner is not None:
            os.chown(self.folder, self.owner.pw_uid, self.owner.pw_gid)
        self._run(
            str(self.bin / "initdb"),
            *("-D", str(self.data), "--auth=trust", "-U", POSTGRES_USER),
            *("--no-locale", "-E", "UTF8", "--no-sync"),
        )
        self.start()
        return self

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off"
        )
        self._run(
            str(self.bin / "pg_ctl"),
            *("-D", str(self.data), "-l", str(self.data.parent / "server.log")),
            *("-o", options, "-w", "-t", "30", "start"),
        )
        self.running = True

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")
        self.running = False

    def postmaster_pid(self) -> int:
        return int(self.data.joinpath("postmaster.pid").read_text().split("\n", 1)[0])

    @contextlib.contextmanager
    def frozen(self) -> Iterator[None]:
        """Every server process stopped (SIGSTOP): connections stay open, nothing answers."""
        postmaster = self.postmaster_pid()
        os.kill(postmaster, signal.SIGSTOP)  # first: a stopped postmaster forks no children
        pids = [postmaster]
        try:
            pids += children(postmaster)
            for pid in pids[1:]:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGSTOP)
            yield
        finally:
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGCONT)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{POSTGRES_USER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        engine = create_engine(self.url(), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            engine.dispose()
        return self.url(name)

    def close(self) -> None:
        """Stop (immediately) and remove the folder; safe to call at any point."""
        if self.folder is None:
            return
        try:
            if self.running:
                self.stop("immediate")
        finally:
            self._kill_leftover()
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def _kill_leftover(self) -> None:
        """A server pg_ctl failed to stop must not outlive its folder."""
        try:
            pid = self.postmaster_pid()
        except (OSError, ValueError):
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
        self.running = False

    def __enter__(self) -> Self:
        try:
            return self.create()
        except BaseException:
            self.close()
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
