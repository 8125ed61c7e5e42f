"""The new-code gate: coverage of the changed lines against a base, with diff-cover."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from quality.config import QualityConfig
from quality.gates import Measurement, metric_key

KEY = metric_key("coverage", {"suite": "new-code"})


def _git(root: Path, *args: str) -> str | None:
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    return result.stdout.strip() if result.returncode == 0 and result.stdout.strip() else None


def choose_base(config: QualityConfig) -> tuple[str | None, str]:
    """VALEO_QUALITY_BASE, else the merge base with the base branch, else HEAD~1."""
    explicit = os.environ.get("VALEO_QUALITY_BASE")
    if explicit:
        return explicit, "VALEO_QUALITY_BASE"
    head = _git(config.root, "rev-parse", "HEAD")
    merge_base = _git(config.root, "merge-base", "HEAD", config.new_code_base_branch)
    if merge_base and merge_base != head:
        return merge_base, f"merge base with {config.new_code_base_branch}"
    parent = _git(config.root, "rev-parse", "--verify", "--quiet", "HEAD~1")
    if parent:
        return parent, "HEAD~1"
    return None, "no base: not a git checkout with history, and VALEO_QUALITY_BASE is unset"


def measure(config: QualityConfig, coverage_xml: Path | None) -> dict[str, Measurement]:
    base, how = choose_base(config)
    if base is None:
        return {KEY: Measurement("%", note=how)}
    if coverage_xml is None:
        return {}
    out = config.reports_dir / "coverage" / "new-code.json"
    argv = [
        sys.executable,
        "-m",
        "diff_cover.diff_cover_tool",
        str(coverage_xml),
        f"--compare-branch={base}",
        "--format",
        f"json:{out}",
    ]
    result = subprocess.run(argv, cwd=config.root, capture_output=True, text=True, check=False)
    if result.returncode != 0 or not out.exists():
        return {KEY: Measurement("%", note=f"diff-cover failed: {result.stderr.strip()[-300:]}")}
    report = json.loads(out.read_text(encoding="utf-8"))
    lines = int(report.get("total_num_lines", 0))
    source = config.link(out)
    if lines == 0:
        note = f"no changed executable lines since {base[:12]} ({how})"
        return {KEY: Measurement("%", {"coverage": 100.0}, source=source, note=note)}
    percent = float(report.get("total_percent_covered", 0))
    note = f"{lines} changed lines since {base[:12]} ({how})"
    return {KEY: Measurement("%", {"coverage": percent}, source=source, note=note)}
