"""``python -m resilience``: faults under a steady load, what users saw, and whether the data
held. The ERP runs production-style (several workers) under supervisor — and under PM2 for
the process-group kill — on a PostgreSQL instance of its own (never the shared server).

Writes ``summary.json`` into ``--output`` (read by the quality harness's resilience suite)
and each scenario's request log and Locust output beside it. Exit codes: 0 measured (the
gates judge the figures), 2 the run could not take place.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from quality.config import ConfigError, load
from quality.live_server import free_port
from resilience import scenarios
from resilience.postgres import PrivatePostgres, Unavailable
from resilience.scenarios import ScenarioResult, Stage
from resilience.supervised import Pm2Run, Supervised, SupervisorRun
from resilience.traffic import Load

ROOT = Path(__file__).resolve().parents[1]
ALL = ("worker-kill", "group-kill", "db-outage", "slow-db")


def parser(defaults: dict[str, Any]) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m resilience", description=__doc__.split("\n\n")[0])
    p.add_argument("--output", type=Path, default=ROOT / "reports" / "latest" / "resilience")
    p.add_argument("--scenarios", default=",".join(ALL), help=f"comma-separated: {', '.join(ALL)}")
    p.add_argument("--users", type=int, default=defaults.get("users", 10))
    p.add_argument("--rate-per-user", type=float, default=defaults.get("rate_per_user", 4.0))
    p.add_argument("--workers", type=int, default=defaults.get("workers", 2))
    p.add_argument("--no-pm2", action="store_true", help="leave out the PM2 group kill")
    p.add_argument("--locust", default=os.environ.get("VALEO_LOCUST") or shutil.which("locust"))
    return p


def _erp_env(database_url: str) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("VALEO_", "COVERAGE_"))},
        "VALEO_DATABASE_URL": database_url,
        "VALEO_ENVIRONMENT": "development",
        "VALEO_SECRET_KEY": secrets.token_urlsafe(40),
    }


def prepare_database(postgres: PrivatePostgres, log: Path) -> str:
    """A database of the private instance, migrated and seeded with the demo data."""
    url = postgres.create_database("valeo")
    env = _erp_env(url)
    with log.open("a", encoding="utf-8") as out:
        for command in (("migrate",), ("seed-demo",)):
            subprocess.run(
                [sys.executable, "-m", "erp", *command],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                check=True,
                timeout=300,
            )
    return url


def run_under(
    manager: type[Supervised],
    names: Sequence[str],
    args: argparse.Namespace,
    postgres: PrivatePostgres,
    url: str,
) -> list[ScenarioResult]:
    folder = args.output / manager.name
    erp = manager(folder, port=free_port(), database_url=url, workers=args.workers)
    load_ = Load(args.users, args.rate_per_user, str(args.locust))
    results = []
    try:
        erp.start()
        stage = Stage(load_, postgres, url, erp, args.output)
        for name in names:
            result = scenarios.SCENARIOS[name](stage)
            erp.wait_ready()
            result.check_consistency(url)
            print(f"{result.name}: {json.dumps(_headline(result))}", flush=True)
            results.append(result)
    finally:
        erp.stop()
    return results


def _headline(result: ScenarioResult) -> dict[str, Any]:
    keys = ("requests", "failures", "availability_pct", "longest_gap_s", "recovery_s")
    return {k: getattr(result, k) for k in (*keys, "inconsistencies")}


def main(argv: Sequence[str] | None = None) -> int:
    try:
        config = load(ROOT)
        defaults = dict(config.suite("resilience").options)
    except ConfigError:
        defaults = {}
    args = parser(defaults).parse_args(argv)
    names = [n.strip() for n in args.scenarios.split(",") if n.strip()]
    unknown = [n for n in names if n not in ALL]
    if unknown or not args.locust or not Path(args.locust).exists():
        print(f"cannot run: unknown scenarios {unknown} or no Locust ({args.locust})")
        return 2
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "summary.json").unlink(missing_ok=True)
    started = time.monotonic()
    try:
        with PrivatePostgres() as postgres:
            url = prepare_database(postgres, args.output / "prepare.log")
            results = run_under(SupervisorRun, names, args, postgres, url)
            if "group-kill" in names and not args.no_pm2:
                results += run_under(Pm2Run, ["group-kill"], args, postgres, url)
    except (Unavailable, subprocess.CalledProcessError, RuntimeError, OSError) as exc:
        print(f"the resilience run could not take place: {exc!r}")
        return 2
    summary = {
        "load": {
            "users": args.users,
            "rate_per_user": args.rate_per_user,
            "requests_per_second": args.users * args.rate_per_user,
            "workers": args.workers,
        },
        "duration_s": round(time.monotonic() - started, 1),
        "scenarios": [asdict(r) for r in results],
    }
    (args.output / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", "utf-8")
    return 0
