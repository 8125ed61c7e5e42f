"""The ERP under measurement for ``load.bench`` and ``load.flows``: a live server on the load
suite's volume (a copy of the seeded SQLite template, or a throwaway PostgreSQL database seeded
with the same volume), and the demo logins to talk to it."""

from __future__ import annotations

import argparse
import os
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from erp.db import normalize_url
from erp.demo import DEMO_PASSWORD
from load import volume
from load.run import split_cores
from quality.config import ConfigError, QualityConfig, load
from quality.live_server import LiveServer

ROOT = Path(__file__).resolve().parents[1]
BERLIN = ZoneInfo("Europe/Berlin")  # the ERP's business dates are German calendar days


def add_server_options(parser: argparse.ArgumentParser) -> None:
    """--customers/--articles/--orders (default: the load suite's volume), --database, …"""
    try:
        options = dict(load(ROOT).suite("load").options)
    except ConfigError:
        options = {}
    for name in ("customers", "articles", "orders"):
        parser.add_argument(
            f"--{name}", type=int, default=int(options.get(f"volume_{name}", 0)), metavar="N"
        )
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("VALEO_TEST_POSTGRES_URL"),
        help="server for --database postgres (default: VALEO_TEST_POSTGRES_URL); a throwaway "
        "database is created on it and dropped after",
    )
    parser.add_argument(
        "--cache",
        type=Path,
        default=ROOT / "reports" / "cache",
        help="where the seeded SQLite template is kept (the load suite's by default)",
    )


def server_cores() -> tuple[frozenset[int] | None, frozenset[int] | None]:
    """(server core, load-generator cores): one core for the server when there is one to spare."""
    server, clients, _count = split_cores(1)
    return server, clients


def erp_server(args: argparse.Namespace, workdir: Path, cpus: frozenset[int] | None) -> LiveServer:
    """The ERP (not started yet) with one uvicorn worker on the volume in ``args``."""
    config = load(ROOT)
    workdir.mkdir(parents=True, exist_ok=True)
    seeded = volume.Volume(args.customers, args.articles, args.orders)
    if args.database == "sqlite":
        template = volume.template(config, seeded, args.cache, workdir / "seed.log")
        return LiveServer(
            config, workdir, seed=False, database_template=template, cpus=cpus, ready_timeout=60
        )
    if not args.postgres_url:
        raise ValueError("--database postgres needs --postgres-url or VALEO_TEST_POSTGRES_URL")
    # No template on PostgreSQL: LiveServer migrates and runs the seed command, given the volume.
    seeding: QualityConfig = replace(
        config, app=replace(config.app, seed=(*config.app.seed, *seeded.seed_args()))
    )
    return LiveServer(
        seeding,
        workdir,
        seed=True,
        postgres_admin_url=normalize_url(args.postgres_url),
        cpus=cpus,
        ready_timeout=60,
    )


def login(client: httpx.Client, role: str) -> dict[str, str]:
    """Bearer header of the demo account ``<role>@valeo.test`` (erp.demo)."""
    reply = client.post(
        "/api/v1/auth/login", json={"email": f"{role}@valeo.test", "password": DEMO_PASSWORD}
    )
    if reply.status_code != 200:
        raise RuntimeError(f"login as {role} failed: {reply.status_code} {reply.text[:200]}")
    return {"Authorization": f"Bearer {reply.json()['access_token']}"}


def today() -> str:
    return datetime.now(BERLIN).date().isoformat()
