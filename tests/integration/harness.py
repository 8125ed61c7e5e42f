"""Running ``python -m quality run`` as CI does: a subprocess, its own reports, no coverage."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_quality(
    *args: str, cwd: Path = ROOT, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    # The harness under test measures its own coverage; ours must not leak into it.
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")}
    return subprocess.run(
        [sys.executable, "-m", "quality", "run", *args],
        cwd=cwd,
        env=full_env | (env or {}),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def isolated_reports(tmp_path: Path) -> dict[str, str]:
    """Environment that sends a run's report and history into ``tmp_path``."""
    return {
        "VALEO_QUALITY_REPORTS": str(tmp_path / "reports"),
        "VALEO_QUALITY_HISTORY": str(tmp_path / "runs.jsonl"),
    }
