"""Valeo's sessions. ``nox -l`` lists them; each installs exactly the lock (uv.lock)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_venv = "yes"
nox.options.error_on_external_run = True
nox.options.error_on_missing_interpreters = True
nox.options.sessions = ["quality"]

ROOT = Path(__file__).parent
REPORTS = ROOT / "reports"
PYTHON = "3.11"
PACKAGES = ("erp", "quality", "load", "contracts", "resilience", "ops")
WEB = "erp/web/*"


def install(session: nox.Session, *groups: str) -> None:
    """Install the project and ``groups`` exactly as locked; refuse a stale lock."""
    env = {
        "UV_PROJECT_ENVIRONMENT": session.virtualenv.location,
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_COMPILE_BYTECODE": "1",  # see below
    }
    session.run_install("uv", "lock", "--check", "--offline", external=True)
    group_args = [arg for group in groups for arg in ("--group", group)]
    session.run_install(
        "uv", "sync", "--locked", "--no-default-groups", *group_args, external=True, env=env
    )
    # Bytecode up front, ours too: where PYTHONDONTWRITEBYTECODE is set (this CI machine)
    # every server, worker and tool process would otherwise compile everything it imports
    # (an ERP worker started in ~8 s of CPU instead of ~3 s; a restarted one is back later).
    session.run_install("python", "-m", "compileall", "-q", "-j", "0", *PACKAGES, silent=True)


def locust_venv(session: nox.Session) -> dict[str, str]:
    """Locust in a venv of its own (its pytest plugin clashes with ours); env naming it."""
    location = ROOT / ".nox" / "locust"
    env = {
        "UV_PROJECT_ENVIRONMENT": str(location),
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_COMPILE_BYTECODE": "1",
    }
    session.run_install(
        "uv",
        "sync",
        "--locked",
        "--no-default-groups",
        "--group",
        "load",
        f"--python={PYTHON}",
        external=True,
        env=env,
    )
    return {"VALEO_LOCUST": str(location / "bin" / "locust")}


def run_pytest_with_coverage(session: nox.Session, suite: str) -> None:
    """Run one suite under coverage and print backend and web coverage separately."""
    coverage_dir = REPORTS / "coverage"
    coverage_dir.mkdir(parents=True, exist_ok=True)
    data_file = coverage_dir / f".coverage.{suite}"
    env = {"COVERAGE_FILE": str(data_file)}
    session.run("python", "-m", "coverage", "erase", env=env)
    session.run(
        "python",
        "-m",
        "pytest",
        f"tests/{suite}",
        "--cov",
        "--cov-report=",
        f"--junitxml={REPORTS / f'junit-{suite}.xml'}",
        *session.posargs,
        env=env,
    )
    for label, selector in (("backend", f"--omit={WEB}"), ("web", f"--include={WEB}")):
        session.log(f"{suite} coverage, {label}:")
        session.run(
            "python",
            "-m",
            "coverage",
            "report",
            selector,
            "--skip-covered",
            "--precision=1",
            env=env,
        )
        session.run(
            "python",
            "-m",
            "coverage",
            "json",
            selector,
            "-q",
            "-o",
            str(coverage_dir / f"{suite}-{label}.json"),
            env=env,
        )


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff (lint and format check) and mypy --strict."""
    install(session, "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")


@nox.session(python=PYTHON)
def unit(session: nox.Session) -> None:
    """Unit tests: rules and services, in-process app on temporary SQLite; with coverage."""
    install(session, "quality")
    run_pytest_with_coverage(session, "unit")


@nox.session(python=PYTHON)
def integration(session: nox.Session) -> None:
    """Integration tests: API and pages on SQLite and PostgreSQL (VALEO_TEST_POSTGRES_URL)."""
    install(session, "quality")
    if not os.environ.get("VALEO_TEST_POSTGRES_URL"):
        session.warn("VALEO_TEST_POSTGRES_URL is not set: the PostgreSQL leg will be skipped")
    run_pytest_with_coverage(session, "integration")


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Unit and integration tests, one after the other."""
    install(session, "quality")
    run_pytest_with_coverage(session, "unit")
    run_pytest_with_coverage(session, "integration")


@nox.session(python=PYTHON)
def quality(session: nox.Session) -> None:
    """The main job: every suite, every gate judged; reports/latest/index.html.

    ``nox -s quality -- --only unit,integration`` or ``-- --skip lint`` select suites.
    """
    install(session, "lint")
    env = locust_venv(session)
    summary_file = REPORTS / "latest" / "summary.json"
    summary_file.unlink(missing_ok=True)  # never judge a stale run
    session.run(
        "python", "-m", "quality", "run", *session.posargs, env=env, success_codes=[0, 1, 2]
    )
    if not summary_file.exists():
        session.error("the quality harness broke before writing reports/latest/summary.json")
    summary = json.loads(summary_file.read_text(encoding="utf-8"))
    if summary["exit_code"] == 1:
        failing = [g["gate"] for g in summary["gates"] if g["status"] in ("fail", "no-data")]
        session.error("quality gates failed: " + "; ".join(failing))
    if summary["exit_code"] == 2:
        broken = [
            s["name"] + ": " + s["detail"] for s in summary["suites"] if s["status"] == "error"
        ]
        session.error("the quality harness could not run: " + "; ".join(broken))


@nox.session(python=PYTHON, default=False)
def e2e(session: nox.Session) -> None:
    """Critical paths in Chromium against a live server, judged by the critical-path gate.

    Args after ``--`` go to pytest, e.g. ``nox -s e2e -- --headed -k crm``.
    """
    install(session, "quality")
    session.run("python", "-m", "quality", "run", "--only", "e2e", "--", *session.posargs)


@nox.session(python=PYTHON, default=False)
def contracts(session: nox.Session) -> None:
    """Schemathesis on every operation, per role, all phases; 0 failures and no breaking change.

    ``nox -s contracts -- --deep`` raises the example budget. After a deliberate API change,
    refresh the snapshot with ``python -m contracts.compat --update``.
    """
    install(session, "quality")
    session.run("python", "-m", "quality", "run", "--only", "contracts", "--", *session.posargs)


@nox.session(python=PYTHON, default=False)
def ops(session: nox.Session) -> None:
    """The monitoring stack: alert rules under promtool, dashboards equal to their generator
    (ops/grafana), a live Prometheus, Pushgateway and node exporter scraping the ERP with a
    quality run published. Needs Debian's prometheus, prometheus-pushgateway and
    prometheus-node-exporter (skipped without them unless VALEO_REQUIRE_OPS=1)."""
    install(session, "quality")
    session.run("python", "-m", "quality", "run", "--only", "ops", "--", *session.posargs)


@nox.session(python=PYTHON, default=False)
def resilience(session: nox.Session) -> None:
    """Faults under a steady Locust load against the supervised ERP (supervisor and PM2) on a
    PostgreSQL instance of its own: worker kills, process-group kills, a database outage and a
    slow database; availability, gaps, recovery and consistency judged by the gates.

    Options after ``--`` go to ``python -m resilience`` (``-- --scenarios worker-kill``).
    Needs PostgreSQL's server binaries (Debian: postgresql) and node/npm for PM2.
    """
    install(session, "quality")
    env = locust_venv(session)
    session.run(
        "python", "-m", "quality", "run", "--only", "resilience", "--", *session.posargs, env=env
    )


@nox.session(python=PYTHON, default=False)
def load(session: nox.Session) -> None:
    """The declared load (Locust personas) against a live server; the load gates judged.

    Options after ``--`` go to ``python -m load``: ``-- --users 40 --rate-per-user 2
    --duration 5m`` changes the load, ``-- --processes 2`` spreads Locust over processes.
    ``-- --soak 10m`` is a soak run: the declared load for that long (instead of
    ``--duration``), and the server's memory must plateau (gate ``server_memory_growth``).
    """
    install(session, "quality")
    env = locust_venv(session)
    session.run("python", "-m", "quality", "run", "--only", "load", "--", *session.posargs, env=env)


@nox.session(python=PYTHON, default=False)
def profile(session: nox.Session) -> None:
    """The declared load with the server under py-spy: where does its time go?

    Writes ``reports/latest/load/profile.speedscope.json`` (open it in
    https://www.speedscope.app) and the hottest functions into the report and onto the console.
    Options after ``--`` go to ``python -m load`` (``-- --duration 2m``). The profiler costs
    the server CPU, so red load gates are only a warning here; a run that could not take place
    fails the session.
    """
    install(session, "quality")
    env = locust_venv(session)
    summary_file = REPORTS / "latest" / "summary.json"
    summary_file.unlink(missing_ok=True)  # never judge a stale run
    session.run(
        *("python", "-m", "quality", "run", "--only", "load", "--", "--profile"),
        *session.posargs,
        env=env,
        success_codes=[0, 1, 2],
    )
    if not summary_file.exists():
        session.error("the quality harness broke before writing reports/latest/summary.json")
    summary = json.loads(summary_file.read_text(encoding="utf-8"))
    if summary["exit_code"] == 2:
        session.error(
            "the profiled load run could not take place: see reports/latest/logs/load.log"
        )
    session.run(
        "python", "-m", "load.profile", str(REPORTS / "latest" / "load" / "profile.speedscope.json")
    )
    if summary["exit_code"] == 1:
        failing = [g for g in summary["gates"] if g["status"] in ("fail", "no-data")]
        session.warn(
            f"{len(failing)} gates failed under the profiler (listed above): not a verdict,"
            " since py-spy costs CPU; judge them with nox -s load"
        )


@nox.session(python=PYTHON, default=False)
def serve(session: nox.Session) -> None:
    """Run the ERP at http://127.0.0.1:8000 (args go to ``python -m erp serve``)."""
    install(session)
    session.run("python", "-m", "erp", "serve", *session.posargs)


@nox.session(python=PYTHON, default=False)
def seed(session: nox.Session) -> None:
    """Migrate and load the demo data set (``python -m erp seed-demo``)."""
    install(session)
    session.run("python", "-m", "erp", "seed-demo")
