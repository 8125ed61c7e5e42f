"""``python -m quality run`` end to end on a tiny project: exit codes 0, 1 and 2."""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import pytest

from tests.integration import harness

PROJECT = """
[tool.coverage.run]
source = ["pkg"]
branch = true
omit = ["pkg/generated.py"]

[tool.quality]
reports = "reports"
history = "reports/runs.jsonl"

[tool.quality.app]
serve = ["python", "-m", "http.server"]

[tool.quality.layers]
backend = {{ include = ["pkg/*"], omit = ["pkg/web/*"] }}
web = {{ include = ["pkg/web/*"] }}

[tool.quality.suites.unit]
kind = "pytest"
paths = ["{tests}"]
coverage = true

[tool.quality.gates]
"tests{{suite:unit}}" = ["failures == 0"]
"coverage{{suite:unit,layer:backend}}" = ["coverage >= {threshold}%"]
"""


def make_project(root: Path, *, threshold: int, tests: str = "tests") -> Path:
    (root / "pkg" / "web").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "web" / "__init__.py").write_text("")
    (root / "pkg" / "calc.py").write_text(
        textwrap.dedent("""
        def add(a, b):
            return a + b

        def unused(a):  # pragma: no cover
            return -a

        def never(a):
            if a:
                return 1
            return 2
    """)
    )
    (root / "tests").mkdir()
    (root / "tests" / "test_calc.py").write_text(
        "from pkg.calc import add\n\ndef test_add():\n    assert add(1, 2) == 3\n"
    )
    (root / "pyproject.toml").write_text(PROJECT.format(threshold=threshold, tests=tests))
    return root


def run_quality(root: Path) -> subprocess.CompletedProcess[str]:
    return harness.run_quality(
        "--root", str(root), cwd=root, env={"PYTHONPATH": str(root)}, timeout=120
    )


def summary_of(root: Path) -> dict[str, object]:
    result: dict[str, object] = json.loads(
        (root / "reports" / "latest" / "summary.json").read_text()
    )
    return result


def test_passing_run_exits_0_and_writes_the_report(tmp_path: Path) -> None:
    root = make_project(tmp_path, threshold=30)
    result = run_quality(root)
    assert result.returncode == 0, result.stderr
    assert "PASS" in result.stderr
    summary = summary_of(root)
    assert summary["verdict"] == "pass"
    assert summary["omitted"] == ["pkg/generated.py"]
    assert summary["pragma_no_cover"] == 1
    assert (root / "reports" / "latest" / "index.html").exists()
    assert (root / "reports" / "latest" / "gates.xml").exists()
    second = run_quality(root)  # history now has one run
    assert second.returncode == 0
    assert len((root / "reports" / "runs.jsonl").read_text().splitlines()) == 2


def test_violated_gate_exits_1_and_names_it(tmp_path: Path) -> None:
    root = make_project(tmp_path, threshold=99)
    result = run_quality(root)
    assert result.returncode == 1, result.stderr
    assert "gate failed" in result.stderr
    assert "coverage{layer:backend,suite:unit}: coverage >= 99%" in result.stderr
    gates = {g["gate"]: g for g in summary_of(root)["gates"]}  # type: ignore[attr-defined]
    assert gates["coverage{layer:backend,suite:unit}: coverage >= 99%"]["status"] == "fail"


def test_suite_that_cannot_run_exits_2(tmp_path: Path) -> None:
    root = make_project(tmp_path, threshold=30, tests="no/such/dir")
    result = run_quality(root)
    assert result.returncode == 2, result.stderr
    assert "could not run" in result.stderr
    assert summary_of(root)["verdict"] == "error"


@pytest.mark.parametrize("argv", [["--only", "nope"], ["--skip", "nope"]])
def test_unknown_suite_selection_exits_2(tmp_path: Path, argv: list[str]) -> None:
    root = make_project(tmp_path, threshold=30)
    result = harness.run_quality("--root", str(root), *argv, cwd=root, timeout=60)
    assert result.returncode == 2
    assert "unknown suite" in result.stderr
