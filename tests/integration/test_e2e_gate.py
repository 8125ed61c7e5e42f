"""The critical-path gate bites: a fault on a path's page turns it red, naming the path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_fault_on_a_path_fails_the_gate_and_names_the_path(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")}
    env |= {
        "VALEO_QUALITY_REPORTS": str(tmp_path / "reports"),
        "VALEO_QUALITY_HISTORY": str(tmp_path / "runs.jsonl"),
        # Moving an opportunity fails: the CRM path cannot reach "won"; no other path is hit.
        "VALEO_FAULTS": "error:/opportunities:500",
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "quality",
            "run",
            "--only",
            "e2e",
            "--",
            "-k",
            "test_customer_contact_opportunity_won_and_activity or test_warehouse",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 1, result.stderr[-3000:]
    summary = json.loads((tmp_path / "reports" / "latest" / "summary.json").read_text())
    gate = next(g for g in summary["gates"] if g["gate"].startswith("critical_paths"))
    assert gate["status"] == "fail"
    assert "crm-pipeline (test_customer_contact_opportunity_won_and_activity" in gate["detail"]
    assert "access-control" not in gate["detail"]  # that path's test still passed
    assert "crm-pipeline" in result.stderr
    matrix = (tmp_path / "reports" / "latest" / "index.html").read_text()
    assert "test_customer_contact_opportunity_won_and_activity" in matrix
    assert (tmp_path / "reports" / "latest" / "e2e" / "artifacts").exists()  # trace, screenshot
