"""The contracts gate can fail: findings and breaking changes count, a broken run is no pass."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from contracts.run import findings
from quality.config import QualityConfig, Suite, load
from quality.contracts_suite import run_contracts
from quality.gates import evaluate, parse_gate

ROOT = Path(__file__).resolve().parents[3]
JUNIT = """<?xml version="1.0"?>
<testsuites><testsuite name="schemathesis" tests="2">
  <testcase name="GET /api/v1/things"/>
  <testcase name="POST /api/v1/things">
    <failure message="x">1. Test Case ID: abc

- ST101 Server error

Reproduce with:

    curl -X POST -H 'Content-Type: application/json' -d '{}' http://127.0.0.1:1/api/v1/things
</failure>
  </testcase>
</testsuite></testsuites>"""


def test_findings_are_read_from_every_junit_report(tmp_path: Path) -> None:
    (tmp_path / "junit-20261126T000000Z.xml").write_text(JUNIT)
    cases, found = findings("sales", tmp_path)
    assert cases == 2
    [finding] = found
    assert finding["operation"] == "POST /api/v1/things"
    assert finding["check"] == "ST101 Server error"
    assert finding["curl"].startswith("curl -X POST")


def config_in(tmp_path: Path) -> QualityConfig:
    config = load(ROOT)
    return QualityConfig(**{**config.__dict__, "reports_dir": tmp_path / "reports"})


def fake_suite(script: str) -> Suite:
    return Suite(name="contracts", kind="contracts", commands=(f"python {script}",))


def write_script(tmp_path: Path, payload: dict[str, object] | None, code: int) -> Path:
    script = tmp_path / "fake_contracts.py"
    body = (
        ""
        if payload is None
        else textwrap.dedent(f"""
        out = Path(sys.argv[sys.argv.index("--output") + 1])
        (out / "findings.json").write_text(json.dumps({payload!r}))
    """)
    )
    script.write_text(f"import json, sys\nfrom pathlib import Path\n{body}\nsys.exit({code})\n")
    return script


GATE = parse_gate("contracts{suite:contracts}", "failures == 0")


def test_a_finding_fails_the_gate_and_fills_the_report(tmp_path: Path) -> None:
    payload = {
        "operations": 3,
        "roles": {"sales": {"exit_code": 1, "operations_reported": 3}},
        "findings": [
            {
                "role": "sales",
                "operation": "POST /x",
                "check": "ST101 Server error",
                "message": "boom",
                "curl": "curl -X POST http://127.0.0.1:1/x",
            }
        ],
        "breaking_changes": ["GET /y: operation removed"],
    }
    config = config_in(tmp_path)
    outcome = run_contracts(config, fake_suite(str(write_script(tmp_path, payload, 1))), [])
    assert outcome.result.status == "failed"
    assert outcome.result.failures == 2
    result = evaluate(GATE, outcome.measurements)
    assert (result.status, result.actual) == ("fail", 2.0)
    assert "ST101" in outcome.sections["Contract findings"]
    assert "operation removed" in outcome.sections["Contract findings"]


def test_a_clean_run_passes(tmp_path: Path) -> None:
    payload = {"operations": 3, "roles": {}, "findings": [], "breaking_changes": []}
    config = config_in(tmp_path)
    outcome = run_contracts(config, fake_suite(str(write_script(tmp_path, payload, 0))), [])
    assert evaluate(GATE, outcome.measurements).status == "pass"


def test_a_run_that_broke_is_an_error_not_a_pass(tmp_path: Path) -> None:
    config = config_in(tmp_path)
    outcome = run_contracts(config, fake_suite(str(write_script(tmp_path, None, 2))), [])
    assert outcome.result.status == "error"
    assert evaluate(GATE, outcome.measurements).status == "no-data"
    assert json.dumps(outcome.measurements) == "{}"
