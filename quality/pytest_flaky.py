"""A pytest plugin: record tests that passed only after a rerun (pytest-rerunfailures).

Loaded with ``-p quality.pytest_flaky``; writes the node ids to ``$QUALITY_FLAKY_FILE``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

_rerun: set[str] = set()
_passed: set[str] = set()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if str(report.outcome) == "rerun":  # pytest-rerunfailures' own outcome
        _rerun.add(report.nodeid)
    elif report.when == "call" and report.passed:
        _passed.add(report.nodeid)


def pytest_sessionfinish() -> None:
    target = os.environ.get("QUALITY_FLAKY_FILE")
    if target:
        Path(target).write_text(json.dumps(sorted(_rerun & _passed)), encoding="utf-8")
