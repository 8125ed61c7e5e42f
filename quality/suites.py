"""Running suites. Each runner returns a SuiteResult and the measurements it produced."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

from quality import coverage_data
from quality.config import QualityConfig, Suite
from quality.contracts_suite import run_contracts
from quality.critical_paths import evaluate_paths
from quality.gates import Measurement, metric_key
from quality.load_suite import run_load
from quality.model import Failure, SuiteResult, TestTiming
from quality.outcome import SuiteOutcome
from quality.resilience_suite import run_resilience

# pytest's exit codes: 0 all passed, 1 some failed; anything else means it could not run.
PYTEST_RAN = {0, 1}


def _category(element: ET.Element, kind: str) -> str:
    message = (element.get("message") or "") + (element.text or "")[:2000]
    if kind == "error":
        return "error in set-up or tear-down"
    if "Timeout" in message:
        return "timeout"
    if "AssertionError" in message or "assert " in message:
        return "assertion"
    return "exception"


def parse_junit(path: Path) -> tuple[dict[str, int], list[TestTiming], list[Failure]]:
    root = ET.parse(path).getroot()  # noqa: S314  (our own pytest's file)
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    counts = {
        k: sum(int(s.get(k, 0)) for s in suites) for k in ("tests", "failures", "errors", "skipped")
    }
    timings: list[TestTiming] = []
    failures: list[Failure] = []
    for case in root.iter("testcase"):
        name = f"{case.get('classname', '')}::{case.get('name', '')}"
        timings.append(TestTiming(name=name, seconds=float(case.get("time", 0) or 0)))
        for kind in ("failure", "error"):
            for element in case.findall(kind):
                failures.append(
                    Failure(
                        name=name,
                        category=_category(element, kind),
                        message=(element.get("message") or "")[:500],
                    )
                )
    timings.sort(key=lambda t: t.seconds, reverse=True)
    return counts, timings[:15], failures


def run_pytest(config: QualityConfig, suite: Suite, extra_args: list[str]) -> SuiteOutcome:
    reports, started = config.reports_dir, time.monotonic()
    logs = reports / "latest" / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    junit = reports / "latest" / f"junit-{suite.name}.xml"
    flaky_file = reports / "latest" / f"flaky-{suite.name}.json"
    log = logs / f"{suite.name}.log"
    data_file = coverage_data.data_file(config, suite.name)
    data_file.parent.mkdir(parents=True, exist_ok=True)
    for stale in (junit, flaky_file, data_file):
        stale.unlink(missing_ok=True)
    argv = [
        sys.executable,
        "-m",
        "pytest",
        *suite.paths,
        f"--junitxml={junit}",
        "-p",
        "quality.pytest_flaky",
        *suite.args,
        *extra_args,
    ]
    if suite.coverage:
        argv += ["--cov", "--cov-report="]
    if suite.reruns:
        argv += [f"--reruns={suite.reruns}"]
    env = {
        **os.environ,
        "COVERAGE_FILE": str(data_file),
        "QUALITY_FLAKY_FILE": str(flaky_file),
        "E2E_OUTPUT": str(e2e_output(config)),
    }
    with log.open("w", encoding="utf-8") as out:
        code = subprocess.call(argv, cwd=config.root, env=env, stdout=out, stderr=subprocess.STDOUT)
    result = SuiteResult(
        name=suite.name,
        status="passed",
        duration_s=round(time.monotonic() - started, 2),
        log=str(log.relative_to(reports / "latest")),
    )
    outcome = SuiteOutcome(result=result)
    if code not in PYTEST_RAN or not junit.exists():
        result.status = "error"
        result.detail = f"pytest could not run the suite (exit code {code}); see its log"
        return outcome
    counts, result.slowest, result.failed = parse_junit(junit)
    result.tests, result.failures = counts["tests"], counts["failures"]
    result.errors, result.skipped = counts["errors"], counts["skipped"]
    result.artefacts["junit"] = junit.name
    if flaky_file.exists():
        result.flaky = json.loads(flaky_file.read_text(encoding="utf-8"))
    result.status = "passed" if code == 0 else "failed"
    outcome.measurements[metric_key("tests", {"suite": suite.name})] = Measurement(
        "",
        {"failures": float(result.failures + result.errors), "count": float(result.tests)},
        source=junit.name,
    )
    if suite.coverage:
        measured, outcome.coverage, outcome.modules = coverage_data.measure_suite(
            config, suite.name
        )
        outcome.measurements.update(measured)
        if outcome.coverage:
            result.artefacts["coverage data"] = config.link(data_file)
    return outcome


def run_commands(config: QualityConfig, suite: Suite, _extra: list[str]) -> SuiteOutcome:
    """A suite of plain commands (linters, type checkers): each one passes or fails."""
    started, logs = time.monotonic(), config.reports_dir / "latest" / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"{suite.name}.log"
    failed: list[Failure] = []
    with log.open("w", encoding="utf-8") as out:
        for command in suite.commands:
            argv = command.split()
            out.write(f"$ {command}\n")
            out.flush()
            argv[0] = sys.executable if argv[0] == "python" else argv[0]
            code = subprocess.call(argv, cwd=config.root, stdout=out, stderr=subprocess.STDOUT)
            if code != 0:
                failed.append(
                    Failure(name=command, category="check failed", message=f"exit code {code}")
                )
    result = SuiteResult(
        name=suite.name,
        status="failed" if failed else "passed",
        duration_s=round(time.monotonic() - started, 2),
        tests=len(suite.commands),
        failures=len(failed),
        failed=failed,
        log=str(log.relative_to(config.reports_dir / "latest")),
    )
    key = metric_key("tests", {"suite": suite.name})
    measurement = Measurement("", {"failures": float(len(failed))}, source=result.log)
    return SuiteOutcome(result=result, measurements={key: measurement})


def e2e_output(config: QualityConfig) -> Path:
    return config.report_dir / "e2e"


def run_e2e(config: QualityConfig, suite: Suite, extra_args: list[str]) -> SuiteOutcome:
    """pytest in a real browser against a live server, plus the critical-path gate."""
    results = e2e_output(config) / "critical_paths.json"
    results.unlink(missing_ok=True)
    artefacts = e2e_output(config) / "artifacts"  # Playwright's traces and screenshots
    outcome = run_pytest(config, suite, [f"--output={artefacts}", *extra_args])
    measured, matrix = evaluate_paths(results, suite.name, config.link(results))
    outcome.measurements.update(measured)
    if matrix:
        outcome.sections["Critical paths (E2E)"] = matrix
    for label, path in (
        ("server log", e2e_output(config) / "server" / "server.log"),
        ("traces and screenshots", e2e_output(config) / "artifacts"),
    ):
        if path.exists():
            outcome.result.artefacts[label] = config.link(path)
    return outcome


RUNNERS: dict[str, Callable[[QualityConfig, Suite, list[str]], SuiteOutcome]] = {
    "pytest": run_pytest,
    "e2e": run_e2e,
    "contracts": run_contracts,
    "load": run_load,
    "resilience": run_resilience,
    "commands": run_commands,
}


def run_suite(config: QualityConfig, suite: Suite, extra_args: list[str]) -> SuiteOutcome:
    runner = RUNNERS.get(suite.kind)
    if runner is None:
        return SuiteOutcome(
            SuiteResult(
                name=suite.name,
                status="error",
                duration_s=0.0,
                detail=f"no runner for suite kind {suite.kind!r}",
            )
        )
    try:
        return runner(config, suite, extra_args)
    except Exception as exc:  # a broken suite is reported, never allowed to stop the others
        return SuiteOutcome(
            SuiteResult(
                name=suite.name,
                status="error",
                duration_s=0.0,
                detail=f"{type(exc).__name__}: {exc}",
            )
        )
