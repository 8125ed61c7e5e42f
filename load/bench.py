"""``python -m load.bench``: an ERP endpoint's throughput against a bare FastAPI endpoint.

Both are served the same way in the same run (one uvicorn worker each, on the same core when
the machine has one to spare; wrk on the others): the ERP on the load suite's volume, the bare
app from ``load.bare``. After a warm-up, wrk measures them alternately (bare, ERP, bare, ERP,
…) so that drifts in the machine's load hit both alike. The ratio is ERP ÷ bare of the median
requests per second over the rounds. Figures are printed and written to ``--output``; they are
not judged. Exit codes: 0 measured, 1 a measurement saw errors or non-2xx responses (its
throughput means nothing), 2 the run could not take place.

``--yardstick erp-without-telemetry`` measures the same ERP endpoint against the ERP without
its telemetry middleware (request log lines, metrics), on a copy of the same database; the
difference in time per request is their overhead.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx

from load import bare, live
from quality.config import load
from quality.live_server import LiveServer

ROOT = live.ROOT
TIME_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
LATENCY_LINE = re.compile(r"^\s*(50|75|90|99)%\s+([0-9.]+)(us|ms|s|m|h)\s*$", re.MULTILINE)
RATE_LINE = re.compile(r"^Requests/sec:\s+([0-9.]+)", re.MULTILINE)
TOTAL_LINE = re.compile(r"^\s*([0-9]+) requests in ([0-9.]+)(us|ms|s|m|h)", re.MULTILINE)
NON_2XX_LINE = re.compile(r"^\s*Non-2xx or 3xx responses:\s+([0-9]+)", re.MULTILINE)
SOCKET_LINE = re.compile(
    r"^\s*Socket errors: connect ([0-9]+), read ([0-9]+), write ([0-9]+), timeout ([0-9]+)",
    re.MULTILINE,
)


class BenchError(RuntimeError):
    """The benchmark could not take place."""


@dataclass(frozen=True)
class WrkResult:
    """What wrk reports for one run; ``non_2xx`` counts responses with status ≥ 400."""

    requests_per_s: float
    requests: int
    duration_s: float
    latency_ms: dict[str, float]  # "50", "75", "90", "99" → milliseconds
    non_2xx: int = 0
    socket_errors: dict[str, int] = field(default_factory=dict)  # connect, read, write, timeout

    @property
    def errors(self) -> int:
        return self.non_2xx + sum(self.socket_errors.values())

    def problems(self) -> str:
        """'' when clean, else what went wrong, for the loud report."""
        parts = [f"{self.non_2xx} non-2xx/3xx responses"] if self.non_2xx else []
        parts += [f"{n} socket {kind} errors" for kind, n in self.socket_errors.items() if n]
        return ", ".join(parts)


def parse_wrk(output: str) -> WrkResult:
    """wrk 4's report (run with ``--latency``)."""
    rate, total = RATE_LINE.search(output), TOTAL_LINE.search(output)
    if rate is None or total is None:
        raise BenchError(f"not a wrk report:\n{output[-1000:]}")
    non_2xx = NON_2XX_LINE.search(output)
    sockets = SOCKET_LINE.search(output)
    return WrkResult(
        requests_per_s=float(rate[1]),
        requests=int(total[1]),
        duration_s=float(total[2]) * TIME_UNITS[total[3]] / 1000,
        latency_ms={
            m[1]: round(float(m[2]) * TIME_UNITS[m[3]], 3) for m in LATENCY_LINE.finditer(output)
        },
        non_2xx=int(non_2xx[1]) if non_2xx else 0,
        socket_errors=dict(
            zip(("connect", "read", "write", "timeout"), map(int, sockets.groups()), strict=True)
        )
        if sockets
        else {},
    )


def run_wrk(
    args: argparse.Namespace,
    url: str,
    headers: dict[str, str],
    seconds: int,
    cpus: frozenset[int] | None,
) -> WrkResult:
    argv = [args.wrk, f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds}s", "--latency"]
    for name, value in headers.items():
        argv += ["-H", f"{name}: {value}"]
    done = subprocess.run(
        [*argv, url],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=False,
        preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None,
    )
    if done.returncode != 0:
        raise BenchError(f"wrk exited {done.returncode}: {done.stderr.strip()[-500:]}")
    return parse_wrk(done.stdout)


def bare_server(workdir: Path, cpus: frozenset[int] | None) -> LiveServer:
    """load.bare through the ERP's own runner: same port handling, pinning, readiness, stop."""
    config = load(ROOT)
    app = replace(
        config.app, serve=("python", "-m", "load.bare"), migrate=(), seed=(), health=bare.PATH
    )
    return LiveServer(replace(config, app=app), workdir, seed=False, cpus=cpus)


def yardstick_server(
    args: argparse.Namespace, workdir: Path, cpus: frozenset[int] | None
) -> LiveServer:
    if args.yardstick == "bare":
        return bare_server(workdir, cpus)
    server = live.erp_server(args, workdir, cpus)
    serve = ("python", "-m", "load.bare", "--app", args.yardstick)
    server.config = replace(server.config, app=replace(server.config.app, serve=serve))
    return server


def preflight(url: str, headers: dict[str, str]) -> None:
    """One request first: a redirect or an error would otherwise be measured as throughput
    (wrk counts only statuses ≥ 400 as errors)."""
    reply = httpx.get(url, headers=headers, timeout=30)
    if reply.status_code != 200:
        raise BenchError(f"GET {url} answers {reply.status_code}: {reply.text[:300]}")


def measure(args: argparse.Namespace) -> dict[str, Any]:
    server_cpus, wrk_cpus = live.server_cores()
    work = args.output.parent
    erp = live.erp_server(args, work / "erp", server_cpus)
    yardstick = yardstick_server(args, work / args.yardstick, server_cpus)
    with contextlib.ExitStack() as running:
        running.callback(erp.stop)  # stopping a server that never started does nothing
        running.callback(yardstick.stop)
        with ThreadPoolExecutor(2) as starting:  # both start in the time of the slower one
            for started in [starting.submit(erp.start), starting.submit(yardstick.start)]:
                started.result()
        headers: dict[str, dict[str, str]] = {}
        for name, server in ((args.yardstick, yardstick), ("erp", erp)):
            if name == "bare":
                headers[name] = {}  # the bare app ignores them; wrk sends the ERP's to both
                continue
            with httpx.Client(base_url=server.url, timeout=30) as client:
                headers[name] = live.login(client, args.role)
        headers["bare"] = headers["erp"]
        yardstick_path = bare.PATH if args.yardstick == "bare" else args.path
        paths = {args.yardstick: yardstick_path, "erp": args.path}
        urls = {args.yardstick: yardstick.url + yardstick_path, "erp": erp.url + args.path}
        for name, url in urls.items():
            preflight(url, headers[name])
        warmup = {
            name: run_wrk(args, url, headers[name], args.warmup, wrk_cpus)
            for name, url in urls.items()
        }
        rounds: dict[str, list[WrkResult]] = {name: [] for name in urls}
        for _ in range(args.rounds):
            for name, url in urls.items():
                rounds[name].append(run_wrk(args, url, headers[name], args.seconds, wrk_cpus))
    return report(args, paths, warmup, rounds, server_cpus, wrk_cpus)


def report(
    args: argparse.Namespace,
    paths: dict[str, str],
    warmup: dict[str, WrkResult],
    rounds: dict[str, list[WrkResult]],
    server_cpus: frozenset[int] | None,
    wrk_cpus: frozenset[int] | None,
) -> dict[str, Any]:
    problems = [f"{n} warm-up: {r.problems()}" for n, r in warmup.items() if r.errors]
    endpoints: dict[str, dict[str, Any]] = {}
    median: dict[str, float] = {}
    for name, results in rounds.items():
        problems += [
            f"{name} round {i}: {r.problems()}" for i, r in enumerate(results, 1) if r.errors
        ]
        median[name] = round(statistics.median(r.requests_per_s for r in results), 1)
        endpoints[name] = {
            "path": paths[name],
            "median_rps": median[name],
            "rounds": [asdict(r) for r in results],
        }
    base = median[args.yardstick]
    return {
        "tool": "load.bench",
        "yardstick": args.yardstick,
        "database": args.database,
        "volume": {"customers": args.customers, "articles": args.articles, "orders": args.orders},
        "wrk": {"threads": args.threads, "connections": args.connections, "seconds": args.seconds},
        "rounds": args.rounds,
        "cores": {
            "server": sorted(server_cpus) if server_cpus else None,
            "wrk": sorted(wrk_cpus) if wrk_cpus else None,
        },
        "endpoints": endpoints,
        "ratio": round(median["erp"] / base, 4) if base else None,
        "ratio_of": f"median requests/s over the rounds, ERP ÷ {args.yardstick}",
        # On one saturated core, time per request is CPU per request: the ERP's extra work.
        "extra_us_per_request": (
            round(1e6 / median["erp"] - 1e6 / base, 1) if base and median["erp"] else None
        ),
        "problems": problems,
        "ok": not problems,
    }


def print_table(summary: dict[str, Any]) -> None:
    print(f"{'endpoint':<40} {'round':>5} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
    for name, endpoint in summary["endpoints"].items():
        for i, r in enumerate(endpoint["rounds"], 1):
            label = f"{name} GET {endpoint['path']}"
            latency = r["latency_ms"]
            print(
                f"{label:<40} {i:>5} {r['requests_per_s']:>9.1f} "
                f"{latency.get('50', 0):>8.2f} {latency.get('99', 0):>8.2f}"
            )
    yardstick = summary["yardstick"]
    base_rps = summary["endpoints"][yardstick]["median_rps"]
    erp_rps = summary["endpoints"]["erp"]["median_rps"]
    label = "ERP/bare" if yardstick == "bare" else f"ERP/{yardstick}"
    print(
        f"median req/s: {yardstick} {base_rps:.1f}, ERP {erp_rps:.1f}; "
        f"ratio {label} {summary['ratio']} (median of {summary['rounds']} rounds each); "
        f"the ERP's extra time per request {summary['extra_us_per_request']} µs"
    )
    for problem in summary["problems"]:
        print(f"ERROR: {problem} — that throughput is not a valid figure", file=sys.stderr)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m load.bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--path", default="/api/v1/customers?limit=20", help="the ERP endpoint (GET)")
    p.add_argument("--role", default="admin", help="demo account <role>@valeo.test to log in as")
    p.add_argument("--seconds", type=int, default=5, help="per round and endpoint")
    p.add_argument("--rounds", type=int, default=3, help="an odd count: the median is a round")
    p.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per endpoint")
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--wrk", default=shutil.which("wrk"))
    p.add_argument(
        "--yardstick",
        choices=sorted(bare.APPS),
        default="bare",
        help="what the ERP is measured against (erp-without-telemetry: the middleware's cost)",
    )
    live.add_server_options(p)
    p.add_argument("--output", type=Path, default=ROOT / "reports/latest/bench/bench.json")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if not args.wrk:
        print("wrk not found: install it (apt-get install wrk) or pass --wrk", file=sys.stderr)
        return 2
    if args.rounds < 1 or args.seconds < 1:
        print("--rounds and --seconds must be at least 1", file=sys.stderr)
        return 2
    args.output.unlink(missing_ok=True)
    try:
        summary = measure(args)
    except (RuntimeError, ValueError, OSError, httpx.HTTPError, subprocess.SubprocessError) as exc:
        # BenchError and LiveServerError are RuntimeErrors; a failed seed is a SubprocessError.
        print(f"benchmark could not take place: {exc}", file=sys.stderr)
        return 2
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(summary, indent=2), encoding="utf-8")
    print_table(summary)
    print(f"written to {args.output}")
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
