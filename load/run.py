"""``python -m load``: the declared load against a live, seeded server, measured.

The declared load comes from ``[tool.quality.suites.load.options]`` in pyproject.toml; the
options here override it (``nox -s load -- --users 40 --duration 2m``). Locust runs in its
own virtual environment (``--locust`` or ``VALEO_LOCUST``: it brings a pytest plugin that
clashes with our tests), the server on its own core(s) when the machine has cores to spare.

Writes into ``--output``: Locust's CSV files and HTML report, ``samples.csv`` (server CPU
and memory once a second), ``summary.json`` and the server's log; with ``--profile`` also
py-spy's ``profile.speedscope.json`` (load/profile.py). Exit codes: 0 measured (the gates
judge the figures), 2 the run could not take place.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import time
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path
from typing import Any

from erp.db import normalize_url
from load import profile, volume
from load.results import DeclaredLoad, summarize
from load.sampler import Sample, ServerSampler
from quality.config import ConfigError, load
from quality.live_server import LiveServer, LiveServerError

ROOT = Path(__file__).resolve().parents[1]
LOCUSTFILE = Path(__file__).with_name("locustfile.py")
DURATION = re.compile(r"^(?P<n>[0-9]+)(?P<unit>[smh]?)$")


def seconds(value: str) -> int:
    """``90``, ``90s``, ``2m`` or ``1h`` in seconds."""
    match = DURATION.match(value.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"{value!r} is not a duration like 60s, 2m or 1h")
    return int(match["n"]) * {"": 1, "s": 1, "m": 60, "h": 3600}[match["unit"]]


class Soak(argparse.Action):
    """``--soak 10m`` sets the duration too: a soak is the declared load, only longer."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        namespace.soak = namespace.duration = values


def parser(defaults: dict[str, Any]) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m load", description=__doc__.split("\n\n")[0])
    p.add_argument("--users", type=int, default=defaults.get("users", 10))
    p.add_argument(
        "--rate-per-user",
        type=float,
        default=defaults.get("rate_per_user", 1.0),
        help="requests per second per user (Locust's constant_throughput)",
    )
    length = p.add_mutually_exclusive_group()
    length.add_argument(
        "--duration", type=seconds, default=seconds(str(defaults.get("duration", 60)))
    )
    length.add_argument(
        "--soak",
        type=seconds,
        metavar="DURATION",
        action=Soak,
        help="a soak run: the declared load for this long (instead of --duration); "
        "the server's memory must plateau (gate server_memory_growth)",
    )
    p.add_argument("--spawn-rate", type=float, default=defaults.get("spawn_rate", 5.0))
    p.add_argument("--workers", type=int, default=defaults.get("workers", 1))
    p.add_argument(
        "--server-cpus",
        type=int,
        default=defaults.get("server_cpus", 1),
        help="cores reserved for the server; Locust gets the others",
    )
    p.add_argument(
        "--memory-budget-mb",
        type=int,
        default=defaults.get("memory_budget_mb_per_worker", 512),
        help="memory budget per worker: the memory figure is RSS ÷ this × workers",
    )
    p.add_argument("--customers", type=int, default=defaults.get("volume_customers", 0))
    p.add_argument(
        "--articles",
        type=int,
        default=defaults.get("volume_articles", 0),
        help="volume articles (stocked in warehouse HL) in the seeded database",
    )
    p.add_argument(
        "--orders",
        type=int,
        default=defaults.get("volume_orders", 0),
        help="volume sales orders (all steps of order-to-cash) in the seeded database",
    )
    p.add_argument("--processes", type=int, default=0, help="Locust worker processes (--processes)")
    p.add_argument(
        "--profile",
        action="store_true",
        help=f"record the server with py-spy into {profile.SPEEDSCOPE}; list the hottest functions",
    )
    p.add_argument(
        "--postgres-url",
        help="run the ERP on a throwaway database on this PostgreSQL server, seeded with the "
        "same volume (slower to seed; PostgreSQL's own CPU is not in the server figures)",
    )
    p.add_argument("--locust", default=os.environ.get("VALEO_LOCUST") or shutil.which("locust"))
    p.add_argument("--output", type=Path, default=ROOT / "reports" / "latest" / "load")
    return p


def split_cores(server_cpus: int) -> tuple[frozenset[int] | None, frozenset[int] | None, int]:
    """(server cores, load-generator cores, server core count); no pinning on a small box."""
    available = sorted(os.sched_getaffinity(0))
    if server_cpus < 1 or len(available) <= server_cpus:
        return None, None, len(available)
    return (
        frozenset(available[:server_cpus]),
        frozenset(available[server_cpus:]),
        server_cpus,
    )


def locust_argv(args: argparse.Namespace, url: str, prefix: Path) -> list[str]:
    argv = [
        str(args.locust),
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--host",
        url,
        "--users",
        str(args.users),
        "--spawn-rate",
        str(args.spawn_rate),
        "--run-time",
        f"{args.duration}s",
        "--rate-per-user",
        str(args.rate_per_user),
        "--csv",
        str(prefix),
        # Without it, the history's percentiles are cumulative since the start; with it they
        # cover Locust's sliding window (and every route gets its own rows).
        "--csv-full-history",
        "--html",
        str(prefix.with_name("locust.html")),
        "--only-summary",
        "--stop-timeout",
        "5",
        "--exit-code-on-error",
        "0",  # failed requests are the gates' business; a non-zero exit means Locust broke
        "--loglevel",
        "WARNING",
    ]
    if args.processes:
        argv += ["--processes", str(args.processes)]
    return argv


def run_locust(
    args: argparse.Namespace, server: LiveServer, cpus: frozenset[int] | None, out: Path
) -> tuple[list[Sample], float]:
    assert server.process is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")}
    env["PYTHONPATH"] = str(ROOT)
    with (
        (out / "locust.log").open("w", encoding="utf-8") as log,
        ServerSampler(server.process.pid) as sampler,
    ):
        started = time.time()
        code = subprocess.call(
            locust_argv(args, server.url, out / "locust"),
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=args.duration + 120,
            preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None,
        )
    if code != 0:
        raise RuntimeError(f"locust exited {code}; see {out / 'locust.log'}")
    return sampler.samples, started


def write_samples(samples: list[Sample], path: Path, started: float) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["t", "cpu_seconds", "rss_bytes", "processes"])
        for s in samples:
            writer.writerow([round(s.t - started, 3), s.cpu_seconds, s.rss_bytes, s.processes])


def execute(args: argparse.Namespace) -> dict[str, Any]:
    config = load(ROOT)
    out: Path = args.output
    server_cpus, locust_cpus, cores = split_cores(args.server_cpus)
    declared = DeclaredLoad(
        users=args.users,
        rate_per_user=args.rate_per_user,
        duration_s=args.duration,
        spawn_rate=args.spawn_rate,
        workers=args.workers,
        server_cores=cores,
        pinned=server_cpus is not None,
        memory_budget_mb_per_worker=args.memory_budget_mb,
        customers=args.customers,
        processes=args.processes,
        articles=args.articles,
        orders=args.orders,
        soak=args.soak is not None,
    )
    (out / "server").mkdir(parents=True, exist_ok=True)
    seeding = time.monotonic()
    seeded = volume.Volume(args.customers, args.articles, args.orders)
    if args.postgres_url:
        # No template on PostgreSQL: the live server migrates and seeds its own database.
        config = replace(
            config, app=replace(config.app, seed=(*config.app.seed, *seeded.seed_args()))
        )
        admin_url = normalize_url(args.postgres_url)
        database: dict[str, Any] = {"seed": True, "postgres_admin_url": admin_url}
    else:
        template = volume.template(
            config, seeded, config.reports_dir / "cache", out / "server" / "seed.log"
        )
        database = {"seed": False, "database_template": template}
    seeded_s = round(time.monotonic() - seeding, 1)
    with LiveServer(
        config,
        out / "server",
        cpus=server_cpus,
        serve_args=("--workers", str(args.workers)),
        ready_timeout=60,
        **database,
    ) as server:
        assert server.process is not None
        with (
            profile.Profiler(server.process.pid, out, locust_cpus)
            if args.profile
            else nullcontext()
        ):
            samples, started = run_locust(args, server, locust_cpus, out)
    write_samples(samples, out / "samples.csv", started)
    summary = summarize(out / "locust", samples, declared, started)
    summary["seed_s"] = seeded_s
    summary["database"] = "postgresql" if args.postgres_url else "sqlite"
    if args.profile:
        summary["profile"] = profile.summarize(out / profile.SPEEDSCOPE)
    return summary


def main(argv: list[str] | None = None) -> int:
    try:
        defaults = dict(load(ROOT).suite("load").options)
    except ConfigError:
        defaults = {}
    args = parser(defaults).parse_args(argv)
    if not args.locust or not Path(args.locust).exists():
        print("locust not found: pass --locust or set VALEO_LOCUST (nox -s load does)")
        return 2
    args.output.mkdir(parents=True, exist_ok=True)
    summary_file = args.output / "summary.json"
    summary_file.unlink(missing_ok=True)
    try:
        summary = execute(args)
    except (LiveServerError, RuntimeError, subprocess.SubprocessError, OSError) as exc:
        print(f"load run could not take place: {exc}", file=sys.stderr)
        return 2
    summary_file.write_text(json.dumps(summary, indent=2), encoding="utf-8")
    overall, server = summary["overall"], summary["server"]
    print(
        f"load: {overall.get('requests', 0)} requests, p95 {overall.get('p95_ms')} ms, "
        f"errors {overall.get('error_rate_pct')} %, {overall.get('steady_rps')} of "
        f"{summary['declared']['target_rps']} req/s, CPU {server.get('cpu_avg_pct')} %, "
        f"memory {server.get('memory_avg_pct')} %"
    )
    if "profile" in summary:
        print(profile.format_table(summary["profile"]))
    return 0
