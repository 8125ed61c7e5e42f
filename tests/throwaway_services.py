"""Private PostgreSQL and Redis servers for tests that stop and start them.

Never the machine's shared servers: each runs from a temporary folder of its own on a free
loopback port, and the folder is removed by ``close()``. The PostgreSQL cluster is
``resilience.postgres.PrivatePostgres`` (the resilience runner starts its own, outside
pytest); PostgreSQL's ``initdb`` and ``pg_ctl`` refuse to run as root, so as root they run
as the ``postgres`` user (``runuser``), in a folder that user owns. When the tools are
missing, ``missing`` skips the test, or fails it when the named ``VALEO_REQUIRE_*`` variable
is set (CI).

    with PrivatePostgres() as postgres:
        url = postgres.create_database("valeo")
        postgres.stop(); postgres.start()
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import NoReturn, Self

import pytest
import redis

from quality.live_server import free_port
from resilience.postgres import (
    POSTGRES_BINARIES,
    POSTGRES_USER,
    PrivatePostgres,
    Unavailable,
    children,
    postgres_bin_dir,
)

REDIS_SERVER = "/usr/bin/redis-server"
__all__ = [
    "POSTGRES_BINARIES",
    "POSTGRES_USER",
    "REDIS_SERVER",
    "PrivatePostgres",
    "PrivateRedis",
    "Unavailable",
    "children",
    "missing",
    "postgres_bin_dir",
    "private_postgres_or_skip",
]


def missing(reason: str, require_variable: str) -> NoReturn:
    """Skip, or fail when ``require_variable`` is set: CI must not skip silently."""
    if os.environ.get(require_variable):
        pytest.fail(f"{require_variable} is set but {reason}")
    pytest.skip(reason)


@contextlib.contextmanager
def private_postgres_or_skip() -> Iterator[PrivatePostgres]:
    """A started ``PrivatePostgres`` for a fixture; skipped (failed under
    ``VALEO_REQUIRE_POSTGRES``) where one cannot run, removed afterwards."""
    try:
        postgres = PrivatePostgres()
    except Unavailable as exc:
        missing(f"cannot start a private PostgreSQL: {exc}", "VALEO_REQUIRE_POSTGRES")
    with postgres:
        yield postgres


class PrivateRedis:
    """A redis-server of its own, without persistence: ``start()``/``stop()`` as needed."""

    def __init__(self, executable: str = REDIS_SERVER) -> None:
        found = shutil.which(executable)
        if found is None:
            raise Unavailable(f"no {executable}")
        self.executable = found
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.folder = Path(tempfile.mkdtemp(prefix="valeo-redis-"))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, timeout: float = 10) -> None:
        argv = [self.executable, "--port", str(self.port), "--bind", "127.0.0.1"]
        argv += ["--save", "", "--appendonly", "no", "--dir", str(self.folder)]
        with (self.folder / "server.log").open("ab") as log:
            self.process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5, socket_timeout=0.5)
        with client:
            while True:
                try:
                    client.ping()
                    return
                except redis.RedisError:
                    if self.process.poll() is not None or time.monotonic() > deadline:
                        log_text = (self.folder / "server.log").read_text(errors="replace")
                        self.stop()
                        raise RuntimeError(f"redis-server did not start:\n{log_text}") from None
                    time.sleep(0.05)

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    @contextlib.contextmanager
    def frozen(self) -> Iterator[None]:
        """The server stopped (SIGSTOP): its port accepts connections, nothing answers."""
        assert self.process is not None, "start() first"
        self.process.send_signal(signal.SIGSTOP)
        try:
            yield
        finally:
            self.process.send_signal(signal.SIGCONT)

    def close(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Self:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
