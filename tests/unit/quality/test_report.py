"""The report builder: HTML, summary.json against its schema, Markdown, JUnit gates, charts."""

from __future__ import annotations

import base64
import copy
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from quality import model
from quality.charts import NOT_ENOUGH_HISTORY, coverage_series
from quality.model import GateResult, GateStatus, HistoryPoint, RunSummary, Verdict
from quality.report import NO_HISTORY, NOT_RUN, PLACEHOLDER_SECTIONS, write_report

SCHEMA_PATH = Path(__file__).parents[3] / "quality" / "summary.schema.json"
SOURCE = "coverage/unit.json"
METRIC = "coverage.unit.backend"
DATA_URI = re.compile(r"data:image/svg\+xml;base64,[A-Za-z0-9+/=]+")


class PageParser(HTMLParser):
    """Start tags with their attributes, and the visible text, in document order."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.texts: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        in_style = bool(self.tags) and self.tags[-1][0] == "style"
        if data.strip() and not in_style:
            self.texts.append(data.strip())


def gate(expression: str, status: GateStatus, actual: float | None, **extra: Any) -> GateResult:
    metric, op, limit_text = expression.rsplit(" ", 2)
    limit = float(limit_text.rstrip("%"))
    headroom = None if actual is None else actual - limit
    result = GateResult(expression, metric, op, limit, "%", actual, headroom, status, SOURCE)
    return replace(result, **extra)


def unit_suite(**extra: Any) -> model.SuiteResult:
    # Models through their module: TestTiming imported by name would be collected by pytest.
    suite = model.SuiteResult(
        "unit",
        "passed",
        12.5,
        tests=120,
        slowest=[model.TestTiming("tests/unit/test_db.py::test_slow", 1.25)],
        artefacts={"junit": "junit/unit.xml", "coverage": "coverage/unit.json"},
        log="logs/unit.log",
    )
    return replace(suite, **extra)


def make_summary(**extra: Any) -> RunSummary:
    summary = RunSummary(
        "2026-03-01T10:00:00+00:00",
        "2026-03-01T10:01:00+00:00",
        60.0,
        "pass",
        0,
        "0123456789abcdef0123",
        "main",
        suites=[unit_suite()],
        gates=[gate("coverage.unit.backend >= 85%", "pass", 91.5)],
        coverage={"unit": {"backend": model.CoverageFigure(91.5, 900, 980, 180, 200)}},
        least_covered=[model.ModuleCoverage("erp/db.py", "unit", 61.0, 12)],
        omitted=["erp/migrations/*"],
        pragma_no_cover=4,
        pragma_no_cover_change=1,
    )
    return replace(summary, **extra)


@pytest.fixture(autouse=True)
def no_step_summary(monkeypatch: pytest.MonkeyPatch) -> None:
    """On GitHub Actions the variable is set: tests must not write to the real step summary."""
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)


@pytest.fixture
def passing() -> RunSummary:
    return make_summary()


@pytest.fixture
def failing() -> RunSummary:
    failed_suite = unit_suite(
        status="failed",
        failures=1,
        flaky=["tests/unit/test_cli.py::test_flaky"],
        failed=[model.Failure("test_money.py::test_round", "assertion", "assert 1 == 2")],
    )
    return make_summary(
        verdict="fail",
        exit_code=1,
        suites=[failed_suite],
        gates=[
            gate("coverage.unit.backend >= 85%", "pass", 91.5),
            gate("coverage.unit.web >= 80%", "fail", 72.25),
            gate("coverage.e2e.all >= 50%", "no-data", None, detail="the suite did not run <e2e>"),
            gate("coverage.delta.all >= 0%", "no-base", None, detail="no earlier run"),
        ],
        regressions=["coverage.unit.web fell from 75 to 72.25"],
        hints=["Add tests for erp/web/pages.py"],
        pragma_no_cover=None,
        pragma_no_cover_change=None,
    )


@pytest.fixture
def with_history() -> RunSummary:
    runs: list[tuple[int, Verdict]] = [(21, "pass"), (22, "fail"), (23, "pass")]
    history = [  # coverage 89, 90, 91, then 91.5 in this run
        HistoryPoint(f"2026-02-{day}T10:00:00+00:00", None, verdict, 55.0, {METRIC: day + 68.0})
        for day, verdict in runs
    ]
    return make_summary(history=history)


def render(summary: RunSummary, out_dir: Path, **extra: Any) -> str:
    return write_report(summary, out_dir, **extra)["html"].read_text(encoding="utf-8")


@pytest.mark.parametrize(("fixture", "verdict"), [("passing", "PASS"), ("failing", "FAIL")])
def test_html_states_the_verdict_first(
    fixture: str, verdict: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    html = render(request.getfixturevalue(fixture), tmp_path)
    page = PageParser(html)
    assert page.texts[1] == verdict  # right after the <title>
    assert f"<h1>{verdict}</h1>" in html
    assert "0123456789ab" in page.texts[:10]  # the commit, in the header


def test_failing_gates_come_first_and_text_is_escaped(failing: RunSummary, tmp_path: Path) -> None:
    html = render(failing, tmp_path)
    page = PageParser(html)
    rows = [attrs["class"] for tag, attrs in page.tags if tag == "tr" and attrs.get("class")]
    assert rows[:4] == ["status-fail", "status-no-data", "status-no-base", "status-pass"]
    assert "the suite did not run &lt;e2e&gt;" in html
    assert "<e2e>" not in html
    for expected in ("assertion (1)", "tests/unit/test_cli.py::test_flaky", "unknown"):
        assert expected in page.texts


def test_first_run_is_self_contained_without_charts(passing: RunSummary, tmp_path: Path) -> None:
    html = render(passing, tmp_path)
    page = PageParser(html)
    assert "http" not in html  # the artefacts are relative paths: no URL at all
    hrefs = {attrs["href"] for tag, attrs in page.tags if tag == "a"}
    external = {href for href in hrefs if href and not href.startswith("#")}
    assert external == {"junit/unit.xml", "coverage/unit.json", "logs/unit.log"}
    assert not [tag for tag, _ in page.tags if tag in ("script", "link", "img")]
    assert NOT_ENOUGH_HISTORY in page.texts
    assert NO_HISTORY in page.texts


def test_charts_are_embedded_svg_images(with_history: RunSummary, tmp_path: Path) -> None:
    html = render(with_history, tmp_path)
    images = [attrs for tag, attrs in PageParser(html).tags if tag == "img"]
    assert len(images) == 2  # coverage and duration
    for image in images:
        assert image["alt"]
        source = image["src"] or ""
        assert DATA_URI.fullmatch(source)
        svg = base64.b64decode(source.split(",", 1)[1]).decode("utf-8")
        assert "<svg" in svg
        assert "<dc:date>" not in svg  # no timestamp: reproducible
    assert "http" not in DATA_URI.sub("", html)
    assert NOT_ENOUGH_HISTORY not in html
    assert "89 → 90 → 91 → <b>91.5</b>" in html  # the gate's trend, this run last


def test_same_summary_gives_identical_files(with_history: RunSummary, tmp_path: Path) -> None:
    first = write_report(with_history, tmp_path / "first")
    second = write_report(with_history, tmp_path / "second")
    for kind, path in first.items():
        assert path.read_bytes() == second[kind].read_bytes(), kind


def test_placeholder_sections_and_trusted_html(passing: RunSummary, tmp_path: Path) -> None:
    sections = {"Contract findings": "<p><strong>3</strong> findings</p>"}
    html = render(passing, tmp_path, sections=sections)
    texts = PageParser(html).texts
    for title in PLACEHOLDER_SECTIONS:
        assert title in texts
    assert texts.count(NOT_RUN) == len(PLACEHOLDER_SECTIONS) - 1
    assert "<p><strong>3</strong> findings</p>" in html


@pytest.fixture
def schema() -> jsonschema.Draft202012Validator:
    document = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(document)
    return jsonschema.Draft202012Validator(document)


@pytest.mark.parametrize("fixture", ["passing", "failing", "with_history"])
def test_summary_json_matches_the_schema(
    fixture: str,
    schema: jsonschema.Draft202012Validator,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    summary: RunSummary = request.getfixturevalue(fixture)
    document = json.loads(write_report(summary, tmp_path)["json"].read_text(encoding="utf-8"))
    assert document == summary.to_json()
    assert list(schema.iter_errors(document)) == []


@pytest.mark.parametrize(
    "mutate",
    [
        lambda document: document.update(schema_version=2),
        lambda document: document["gates"][0].pop("status"),
        lambda document: document["gates"][0].update(status="maybe"),
        lambda document: document.update(surprise=True),  # unknown top-level field
    ],
    ids=["schema-version-2", "gate-without-status", "unknown-gate-status", "unknown-field"],
)
def test_schema_rejects_invalid_documents(
    mutate: Callable[[dict[str, Any]], object],
    failing: RunSummary,
    schema: jsonschema.Draft202012Validator,
) -> None:
    document = copy.deepcopy(failing.to_json())
    mutate(document)
    assert not schema.is_valid(document)


def test_gates_xml_has_a_testcase_per_gate(failing: RunSummary, tmp_path: Path) -> None:
    paths = write_report(failing, tmp_path)
    root = ET.fromstring(paths["junit"].read_bytes())  # noqa: S314 (our own output)
    suites = list(root.iter("testsuite"))
    assert [suite.get("name") for suite in suites] == ["quality gates"]
    cases = {case.get("name"): case for case in suites[0].iter("testcase")}
    assert list(cases) == [g.gate for g in failing.gates]
    assert {case.get("classname") for case in cases.values()} == {"gates"}
    failed = {name for name, case in cases.items() if case.find("failure") is not None}
    assert failed == {g.gate for g in failing.gates if g.status in ("fail", "no-data")}
    skipped = {name for name, case in cases.items() if case.find("skipped") is not None}
    assert skipped == {"coverage.delta.all >= 0%"}
    failure = cases["coverage.unit.web >= 80%"].find("failure")
    assert failure is not None
    assert failure.get("message") == "coverage.unit.web = 72.25%, required >= 80%"
    assert suites[0].get("failures") == "2"


def test_markdown_is_short_and_complete(failing: RunSummary, tmp_path: Path) -> None:
    lines = write_report(failing, tmp_path)["markdown"].read_text(encoding="utf-8").splitlines()
    assert "FAIL" in lines[0]
    assert "| Gate | Actual | Threshold | Headroom | Status |" in lines
    assert "| coverage.unit.web >= 80% | 72.25% | >= 80% | -7.75% | FAIL |" in lines
    assert "- coverage.unit.web fell from 75 to 72.25" in lines
    assert any(line.startswith("- unit: failed, 120 tests") for line in lines)
    assert len(lines) < 30


def test_writes_four_files_and_appends_the_step_summary(
    passing: RunSummary, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    step_summary = tmp_path / "step_summary.md"
    step_summary.write_text("earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step_summary))
    paths = write_report(passing, tmp_path / "report")
    names = {"html": "index.html", "json": "summary.json", "markdown": "summary.md"}
    assert {kind: path.name for kind, path in paths.items()} == names | {"junit": "gates.xml"}
    assert all(path.is_file() for path in paths.values())
    markdown = paths["markdown"].read_text(encoding="utf-8")
    assert step_summary.read_text(encoding="utf-8") == "earlier step\n" + markdown + "\n"


def test_coverage_series_reads_both_metric_spellings() -> None:
    tagged = "coverage of coverage{layer:backend,suite:unit}"
    metrics = {tagged: 80.0, "coverage.e2e.all": 40.0, "p(95) of http_req_duration": 300.0}
    summary = make_summary(
        history=[HistoryPoint("2026-02-28T10:00:00+00:00", None, "pass", 55.0, metrics)],
        gates=[gate(f"{tagged} >= 75%", "pass", 82.0, metric=tagged)],
    )
    series = {item.label: item.points for item in coverage_series(summary)}
    assert series == {"e2e.all": [(0, 40.0)], "unit backend": [(0, 80.0), (1, 82.0)]}
