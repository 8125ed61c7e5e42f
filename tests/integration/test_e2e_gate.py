"""The critical-path gate bites: a fault on a path's page turns it red, naming the path."""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.harness import isolated_reports, run_quality


def test_fault_on_a_path_fails_the_gate_and_names_the_path(tmp_path: Path) -> None:
    # Moving an opportunity fails: the CRM path cannot reach "won"; no other path is hit.
    env = isolated_reports(tmp_path) | {"VALEO_FAULTS": "error:/opportunities:500"}
    result = run_quality(
        "--only",
        "e2e",
        "--",
        "-k",
        "test_customer_contact_opportunity_won_and_activity or test_warehouse",
        env=env,
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
