"""Command line: ``python -m erp serve | migrate | seed-demo | create-admin``.

Operators, nox sessions and the test harness all start the ERP through ``serve``.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import importlib
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import uvicorn
from pydantic import ValidationError
from rich.console import Console
from uvicorn.supervisors.multiprocess import Multiprocess

from erp.config import Environment, Settings
from erp.logs import configure_logging
from erp.telemetry.metrics_core import metrics_directory

if TYPE_CHECKING:
    from erp.auth.passwords import PasswordHasher

# ``serve`` imports no more than it needs: under a process manager the serving process is
# started again after every crash, and the ERP is back only once it has spawned its workers
# (which import the app themselves). The other commands import what they use.

console = Console(stderr=True)
# On SIGTERM the server stops accepting, lets requests in flight finish for up to this many
# seconds (then cancels them), and the lifespan closes the database pool. Process managers
# must wait longer than this before SIGKILL (ops/supervisor: stopwaitsecs, ops/pm2:
# kill_timeout).
GRACEFUL_TIMEOUT_SECONDS = 20
APP_FACTORY = "erp.app:create_server_app"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m erp", description="Valeo ERP")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the ERP with uvicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument(
        "--reload", action="store_true", help="restart on code changes (development)"
    )
    serve.add_argument(
        "--no-migrate", action="store_true", help="do not migrate the embedded SQLite first"
    )
    serve.add_argument(
        "--graceful-timeout",
        type=int,
        default=GRACEFUL_TIMEOUT_SECONDS,
        metavar="SECONDS",
        help="on SIGTERM/SIGINT: stop accepting, let requests in flight finish for up to"
        f" SECONDS (default {GRACEFUL_TIMEOUT_SECONDS}), then close the database pool and exit 0",
    )

    mig = commands.add_parser("migrate", help="upgrade (or downgrade) the database schema")
    mig.add_argument("--revision", default="head")
    mig.add_argument("--downgrade", action="store_true")

    seed = commands.add_parser("seed-demo", help="create demo users and data (not in production)")
    seed.add_argument(
        "--customers",
        type=int,
        default=0,
        metavar="N",
        help="N volume customers besides the demo ones (for load runs)",
    )
    seed.add_argument(
        "--articles",
        type=int,
        default=0,
        metavar="N",
        help="N volume articles with opening stock in warehouse HL (for load runs)",
    )
    seed.add_argument(
        "--orders",
        type=int,
        default=0,
        metavar="N",
        help="N volume sales orders over the volume customers and articles, in all states",
    )

    admin = commands.add_parser("create-admin", help="create an admin or grant admin to an account")
    admin.add_argument("--email", required=True)
    admin.add_argument("--name", default="Administrator")
    admin.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    return parser


def _hasher(settings: Settings) -> PasswordHasher:
    from erp.auth.passwords import PasswordHasher

    return PasswordHasher(
        memory_kib=settings.argon2_memory_kib, time_cost=settings.argon2_time_cost
    )


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    # The embedded default database is ours to manage; a server database is migrated by its
    # operator (``migrate``) so that several app instances never race to change its schema.
    if settings.database_url is None and not args.no_migrate:
        from erp import migrate

        migrate.upgrade(settings.effective_database_url)
    settings.effective_secret_key  # noqa: B018  (create the key once, before workers fork)
    workers = args.workers if not args.reload else None
    configure_logging(settings.log_level, settings.log_format)  # the supervising process's
    options: dict[str, Any] = {
        "factory": True,
        "host": args.host,
        "port": args.port,
        "workers": workers,
        "reload": args.reload,
        "log_level": settings.log_level.lower(),
        # Our JSON lines for uvicorn's messages too (erp.logs), and our own request line
        # (route template, user, request id) instead of uvicorn's access log.
        "log_config": None,
        "access_log": False,
        "proxy_headers": False,
        # SIGTERM: stop accepting, let requests in flight finish for up to this long, then
        # the lifespan closes the database pool.
        "timeout_graceful_shutdown": args.graceful_timeout,
    }
    # One worker: uvicorn re-raises the signal it stopped on once it has shut down gracefully;
    # exit 0 then instead of dying of it (several workers: the supervising process returns).
    previous = {
        stop_signal: signal.signal(stop_signal, _exit_after_graceful_shutdown)
        for stop_signal in (signal.SIGTERM, signal.SIGINT)
    }
    try:
        # Several workers: /metrics sums every worker's figures (PROMETHEUS_MULTIPROC_DIR, set
        # here before uvicorn spawns them unless the operator has).
        with metrics_directory(workers or 1), _refusing_when_stopped():
            uvicorn.run(APP_FACTORY, **options)
    finally:
        for stop_signal, handler in previous.items():
            signal.signal(stop_signal, handler)
    return 0


def _exit_after_graceful_shutdown(_signum: int, _frame: object) -> None:
    raise SystemExit(0)


class _Workers(Multiprocess):
    """uvicorn's supervisor of several workers, closing its copy of the listening socket as
    it stops them: the workers close theirs at once, but with the parent's still open the
    kernel went on accepting connections that no one would serve, and reset them only when
    the last worker had drained (seconds later) instead of refusing them at once."""

    def terminate_all(self) -> None:
        for sock in self.sockets:
            sock.close()
        super().terminate_all()


@contextlib.contextmanager
def _refusing_when_stopped() -> Iterator[None]:
    """``uvicorn.run`` with ``_Workers`` for several workers (uvicorn.main looks the class up
    when it runs; tests and load.bare replace ``uvicorn.run`` itself)."""
    module: Any = importlib.import_module("uvicorn.main")  # (uvicorn.main: its click command)
    original = module.Multiprocess
    module.Multiprocess = _Workers
    try:
        yield
    finally:
        module.Multiprocess = original


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from erp import migrate

    if args.downgrade:
        migrate.downgrade(settings.effective_database_url, args.revision)
    else:
        migrate.upgrade(settings.effective_database_url, args.revision)
    console.print(f"[green]database at revision[/] {args.revision}")
    return 0


def cmd_seed_demo(args: argparse.Namespace, settings: Settings) -> int:
    if settings.environment is Environment.production:
        console.print("[red]seed-demo refuses to run in production[/]")
        return 2
    from erp import migrate
    from erp.db import Database
    from erp.demo import seed_demo
    from erp.demo_volume import seed_volume_orders

    migrate.upgrade(settings.effective_database_url)
    database = Database(settings.effective_database_url)
    orders = max(0, args.orders)
    try:
        with database.transaction() as session:
            summary = seed_demo(
                session,
                hasher=_hasher(settings),
                extra_customers=max(0, args.customers),
                extra_articles=max(0, args.articles),
                volume_orders=orders,
            )
        for line in summary:
            console.print(line)
        console.print(seed_volume_orders(database, count=orders, progress=console.print))
    finally:
        database.dispose()
    return 0


def cmd_create_admin(args: argparse.Namespace, settings: Settings) -> int:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = os.environ.get("VALEO_ADMIN_PASSWORD") or getpass.getpass("Password: ")
    from erp.auth import service as auth_service
    from erp.db import Database
    from erp.errors import DomainError

    database = Database(settings.effective_database_url)
    try:
        with database.transaction() as session:
            user = auth_service.ensure_admin(
                session,
                hasher=_hasher(settings),
                email=args.email,
                full_name=args.name,
                password=password,
            )
            email = user.email
    except DomainError as exc:
        console.print(f"[red]{exc.detail}[/]")
        return 1
    finally:
        database.dispose()
    console.print(f"[green]{email} is an admin[/]")
    return 0


COMMANDS = {
    "serve": cmd_serve,
    "migrate": cmd_migrate,
    "seed-demo": cmd_seed_demo,
    "create-admin": cmd_create_admin,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as exc:
        console.print(f"[red]invalid settings:[/] {exc}")
        return 2
    return COMMANDS[args.command](args, settings)
