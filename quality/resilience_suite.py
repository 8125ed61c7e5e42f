"""The resilience suite: ``python -m resilience`` breaks the supervised ERP under load and
writes summary.json; each scenario's figures become measurements the gates judge.

Per scenario (tags ``suite`` and ``scenario``): ``resilience_availability`` (``availability``, %),
``resilience_time`` (``recovery`` and ``longest_gap``, ms) and ``resilience`` (counts:
``excess_failures``, ``late_failures``, ``hangs``, ``unclean_failures``,
``readiness_flipped``, ``inconsistencies``, ``failures``, ``requests``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from quality.config import QualityConfig, Suite
from quality.external import run_external
from quality.gates import Measurement, tagged
from quality.model import Failure
from quality.outcome import SuiteOutcome
from quality.report import template_environment

COUNTS = (
    "excess_failures",
    "late_failures",
    "hangs",
    "unclean_failures",
    "readiness_flipped",
    "inconsistencies",
    "failures",
    "requests",
)


def measurements(summary: dict[str, Any], suite: str, source: str) -> dict[str, Measurement]:
    found: dict[str, Measurement] = {}
    for scenario in summary["scenarios"]:
        tags = {"suite": suite, "scenario": scenario["name"]}
        times = {"longest_gap": scenario["longest_gap_s"] * 1000}
        if scenario.get("recovery_s") is not None:
            times["recovery"] = scenario["recovery_s"] * 1000
        for metric, unit, values in (
            ("resilience_availability", "%", {"availability": scenario["availability_pct"]}),
            ("resilience_time", "ms", times),
            ("resilience", "", {k: float(scenario[k]) for k in COUNTS}),
        ):
            key, measurement = tagged(metric, tags, unit, values, source)
            found[key] = measurement
    return found


def run_resilience(config: QualityConfig, suite: Suite, extra_args: list[str]) -> SuiteOutcome:
    outcome, out, code = run_external(config, suite, extra_args, "summary.json")
    result, summary_file = outcome.result, out / "summary.json"
    if code != 0 or not summary_file.exists():
        result.status = "error"
        result.detail = f"resilience run could not take place (exit code {code})"
        return outcome
    summary = json.loads(summary_file.read_text(encoding="utf-8"))
    result.tests = len(summary["scenarios"])
    result.failed = [
        Failure(name=s["name"], category="inconsistency", message="; ".join(s["violations"]))
        for s in summary["scenarios"]
        if s["inconsistencies"]
    ]
    result.failures = len(result.failed)
    result.status = "failed" if result.failures else "passed"
    result.artefacts["summary"] = config.link(summary_file)
    link = config.link(summary_file)
    outcome.measurements = measurements(summary, suite.name, link)
    macros = template_environment().get_template("resilience.html").module
    outcome.sections = {
        "Resilience: faults under load": str(macros.scenarios(summary, Path(link).as_posix()))  # type: ignore[attr-defined]
    }
    return outcome
