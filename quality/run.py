"""``python -m quality run``: every suite, every gate, one report, one exit code.

Exit codes: 0 every gate passed; 1 a gate failed (or had no data); 2 the harness broke
(a suite could not run, or the configuration is unusable).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from quality import coverage_data, history, new_code, publish
from quality.config import ConfigError, QualityConfig, load
from quality.gates import GateSpec, Measurement, evaluate_all
from quality.model import GateResult, RunSummary
from quality.outcome import SuiteOutcome
from quality.publish import Publication
from quality.suites import run_suite

console = Console(stderr=True)
if not console.is_terminal:  # CI logs: room for the gate table without wrapping
    console = Console(stderr=True, width=140)
PUSHGATEWAY_ENV = "VALEO_PUSHGATEWAY_URL"
STATUS_STYLE = {"pass": "green", "fail": "red", "no-data": "red", "no-base": "yellow"}


def _git(root: Path, *args: str) -> str | None:
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    return result.stdout.strip() or None if result.returncode == 0 else None


def select_suites(config: QualityConfig, only: str | None, skip: str | None) -> list[str]:
    names = [s.name for s in config.suites]
    wanted = (
        [n.strip() for n in only.split(",")]
        if only
        else [s.name for s in config.suites if s.default]
    )
    unknown = [n for n in wanted + (skip.split(",") if skip else []) if n.strip() not in names]
    if unknown:
        raise ConfigError(f"unknown suite(s) {unknown}; configured: {names}")
    skipped = {n.strip() for n in skip.split(",")} if skip else set()
    return [n for n in wanted if n not in skipped]


def run_suites(config: QualityConfig, names: list[str], extra: list[str]) -> list[SuiteOutcome]:
    """Run each suite in turn; a live line shows which one runs and for how long."""
    outcomes = []
    columns = (SpinnerColumn(), TextColumn("[bold]{task.description}"), TimeElapsedColumn())
    for name in names:
        with Progress(*columns, console=console, transient=True) as progress:
            progress.add_task(f"{name} running", total=None)
            outcome = run_suite(config, config.suite(name), extra)
        result = outcome.result
        style = {"passed": "green", "failed": "red"}.get(result.status, "yellow")
        console.print(
            f"[{style}]{result.status:>7}[/] {name}: {result.tests} tests, "
            f"{result.failures + result.errors} failing, {result.duration_s:.1f} s"
            + (f" — {result.detail}" if result.detail else "")
        )
        outcomes.append(outcome)
    return outcomes


def gate_table(gates: list[GateResult]) -> Table:
    table = Table(title="Quality gates", show_lines=False)
    for column in ("gate", "actual", "threshold", "headroom", "status"):
        table.add_column(
            column, justify="right" if column in ("actual", "threshold", "headroom") else "left"
        )
    for gate in gates:
        actual = "—" if gate.actual is None else f"{gate.actual:g}{gate.unit}"
        headroom = "—" if gate.headroom is None else f"{gate.headroom:+g}{gate.unit}"
        style = STATUS_STYLE[gate.status]
        table.add_row(
            gate.gate,
            actual,
            f"{gate.comparator} {gate.threshold:g}{gate.unit}",
            headroom,
            f"[{style}]{gate.status}[/]",
        )
    return table


def gates_to_judge(config: QualityConfig, outcomes: list[SuiteOutcome]) -> list[GateSpec]:
    """The declared gates, less those of suites left out and those a suite could not judge.

    Both are left out rather than failing with no data: a suite the caller skipped, or a
    gate the suite's run does not judge by design (memory growth in a load run that is not
    a soak), which the suite names with its reason; everything else without data still fails.
    """
    skipped = {s.name for s in config.suites} - {o.result.name for o in outcomes}
    specs = [spec for spec in config.gates if dict(spec.tags).get("suite") not in skipped]
    if skipped & {"unit", "integration"}:
        specs = [spec for spec in specs if dict(spec.tags).get("suite") != "new-code"]
    not_judged = {key for outcome in outcomes for key in outcome.not_judged}
    return [spec for spec in specs if spec.key not in not_judged]


def summarize(
    config: QualityConfig, outcomes: list[SuiteOutcome], started: datetime, elapsed: float
) -> RunSummary:
    measurements: dict[str, Measurement] = {}
    summary = RunSummary(
        started_at=started.isoformat(timespec="seconds"),
        finished_at=datetime.now(UTC).isoformat(timespec="seconds"),
        duration_s=round(elapsed, 1),
        verdict="pass",
        exit_code=0,
        commit=_git(config.root, "rev-parse", "--short", "HEAD"),
        branch=_git(config.root, "rev-parse", "--abbrev-ref", "HEAD"),
        suites=[o.result for o in outcomes],
        gates=[],
    )
    modules = []
    ran = {o.result.name: o for o in outcomes}
    for outcome in outcomes:
        target = config.suite(outcome.result.name).coverage_into
        target_outcome = ran.get(target or "")
        if (
            target
            and target_outcome
            and coverage_data.merge_into(config, outcome.result.name, target)
        ):
            # The target's figures now include this suite's (e.g. web coverage from e2e).
            remeasured, target_outcome.coverage, target_outcome.modules = (
                coverage_data.measure_suite(config, target)
            )
            target_outcome.measurements.update(remeasured)
    for outcome in outcomes:
        measurements.update(outcome.measurements)
        if outcome.coverage:
            summary.coverage[outcome.result.name] = outcome.coverage
        modules += outcome.modules
    covered = [
        o.result.name for o in outcomes if o.coverage and o.result.name in ("unit", "integration")
    ]
    combined = coverage_data.combine(config, covered) if covered else None
    if combined is not None:
        _, summary.coverage["combined"], _ = coverage_data.measure_suite(
            config, "combined", combined
        )
    xml = coverage_data.xml_report(config, combined) if combined is not None else None
    measurements.update(new_code.measure(config, xml))
    summary.gates = evaluate_all(gates_to_judge(config, outcomes), measurements)
    summary.least_covered = sorted(modules, key=lambda m: (m.percent, -m.missing_lines))[:10]
    summary.omitted = coverage_data.omitted_patterns(config)
    summary.pragma_no_cover = coverage_data.count_pragmas(config)
    return summary


def judge(summary: RunSummary) -> None:
    broken = [s for s in summary.suites if s.status == "error"]
    if broken:
        summary.verdict, summary.exit_code = "error", 2
    elif summary.failing_gates:
        summary.verdict, summary.exit_code = "fail", 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m quality")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the suites, judge the gates, write the report")
    run.add_argument("--only", help="comma-separated suites to run (default: all default suites)")
    run.add_argument("--skip", help="comma-separated suites to leave out")
    run.add_argument("--root", type=Path, default=Path.cwd())
    run.add_argument(
        "--publish",
        nargs="?",
        const="",
        metavar="PUSHGATEWAY_URL",
        help="push the results to a Pushgateway (default: [tool.quality.publish] pushgateway;"
        " VALEO_PUSHGATEWAY_URL publishes without this option)",
    )
    run.add_argument("pytest_args", nargs="*", help="passed on to pytest suites")
    push = commands.add_parser("publish", help="push a finished run's summary.json")
    push.add_argument("summary", type=Path, help="a run's summary.json")
    push.add_argument("--url", default="", help="the Pushgateway (default: as for run --publish)")
    push.add_argument("--root", type=Path, default=Path.cwd())
    args = parser.parse_args(argv)
    if args.command == "publish":
        return publish_file(args.root.resolve(), args.summary, args.url)
    try:
        config = load(args.root.resolve())
        names = select_suites(config, args.only, args.skip)
        url = publish_url(config, args.publish)
    except ConfigError as exc:
        console.print(f"[red]quality harness broken:[/] {exc}")
        return 2
    return execute(config, names, args.pytest_args, publish_to=url)


def publish_url(config: QualityConfig, option: str | None) -> str | None:
    """Where to publish: ``--publish URL``, ``--publish`` (the configured URL), or the
    environment's ``VALEO_PUSHGATEWAY_URL``; None: not published."""
    if option:
        return option
    configured = os.environ.get(PUSHGATEWAY_ENV)
    if option is None:
        return configured or None
    default = config.raw.get("publish", {}).get("pushgateway")
    if not (configured or default):
        raise ConfigError("--publish needs a URL: [tool.quality.publish] pushgateway is not set")
    return str(configured or default)


def publish_file(root: Path, summary_file: Path, url: str) -> int:
    """``python -m quality publish``: 0 published, 1 the push failed, 2 nothing to publish."""
    try:
        config = load(root)
        target = publish_url(config, url)
        summary = RunSummary.from_json(json.loads(summary_file.read_text(encoding="utf-8")))
    except (ConfigError, OSError, ValueError, TypeError, KeyError) as exc:
        console.print(f"[red]cannot publish {summary_file}:[/] {exc!r}")
        return 2
    assert target is not None  # publish_url with "" returns a URL or raises
    publication = publish.publish(summary, target, stale_after=stale_after(config))
    announce(publication)
    return 0 if publication.ok else 1


def stale_after(config: QualityConfig) -> timedelta:
    return timedelta(days=float(config.raw.get("publish", {}).get("stale_after_days", 30)))


def announce(publication: Publication) -> None:
    if publication.ok:
        removed = len(publication.removed_groups)
        console.print(
            f"[green]published[/] to {publication.url}: job {publish.JOB}, branch "
            f"{publication.branch}, {publication.metrics} metrics"
            + (f"; {removed} stale group(s) removed" if removed else "")
        )
    else:  # reported, not fatal: the verdict is the gates'
        console.print(f"[yellow]publishing to {publication.url} failed:[/] {publication.error}")


def execute(
    config: QualityConfig, names: list[str], extra: list[str], publish_to: str | None = None
) -> int:
    from quality.report import write_report

    started, clock = datetime.now(UTC), time.monotonic()
    console.print(f"[bold]Valeo quality run[/]: {', '.join(names)}")
    outcomes = run_suites(config, names, extra)
    summary = summarize(config, outcomes, started, time.monotonic() - clock)
    past = history.load(config.history_file)
    summary.history = past
    summary.history_note = "" if past else "No history yet: trends start with the next run."
    judge(summary)
    summary.regressions = history.regressions(summary, past)
    summary.hints = history.tighten_hints(summary.gates)
    summary.pragma_no_cover_change = history.pragma_change(summary.pragma_no_cover, past)
    out = config.reports_dir / "latest"
    sections = {title: html for o in outcomes for title, html in o.sections.items()}
    files = write_report(summary, out, sections)
    history.append(config.history_file, summary)
    if publish_to:
        publication = publish.publish(summary, publish_to, stale_after=stale_after(config))
        (out / "publish.json").write_text(
            json.dumps(publish.describe(publication), indent=2) + "\n", encoding="utf-8"
        )
        announce(publication)
    console.print(gate_table(summary.gates))
    for outcome in outcomes:
        for key, why in outcome.not_judged.items():
            console.print(f"[yellow]not judged:[/] {key} — {why}")
    for line in summary.regressions:
        console.print(f"[yellow]regression:[/] {line}")
    for suite in summary.suites:
        if suite.status == "error":
            console.print(f"[red]suite {suite.name} could not run:[/] {suite.detail}")
    for gate in summary.failing_gates:
        console.print(
            f"[red]gate failed:[/] {gate.gate} — {gate.detail or f'actual {gate.actual}'}"
        )
    verdict_style = {"pass": "bold green", "fail": "bold red", "error": "bold red"}[summary.verdict]
    console.print(
        f"[{verdict_style}]{summary.verdict.upper()}[/] in {summary.duration_s:.0f} s — "
        f"report: {files['html']}"
    )
    return summary.exit_code
