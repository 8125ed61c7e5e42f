"""Suites that are an external command writing a result file into ``--output <dir>``."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from quality.config import QualityConfig, Suite
from quality.model import SuiteResult
from quality.outcome import SuiteOutcome


def run_external(
    config: QualityConfig, suite: Suite, extra_args: list[str], result_name: str
) -> tuple[SuiteOutcome, Path, int]:
    """Run the suite's command; (outcome with timing and log, its output folder, exit code).

    The result file is removed first, so a stale one from an earlier run is never read.
    """
    started, out = time.monotonic(), config.report_dir / suite.name
    out.mkdir(parents=True, exist_ok=True)
    log = config.report_dir / "logs" / f"{suite.name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    (out / result_name).unlink(missing_ok=True)
    argv = [sys.executable if a == "python" else a for a in suite.commands[0].split()]
    with log.open("w", encoding="utf-8") as stream:
        code = subprocess.call(
            [*argv, "--output", str(out), *extra_args],
            cwd=config.root,
            stdout=stream,
            stderr=subprocess.STDOUT,
        )
    result = SuiteResult(
        name=suite.name,
        status="passed",
        duration_s=round(time.monotonic() - started, 2),
        log=config.link(log),
    )
    return SuiteOutcome(result=result), out, code
