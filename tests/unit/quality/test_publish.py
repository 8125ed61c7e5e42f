"""Publishing a run's results: the metrics built from a summary, and failures reported.

The push itself, its replacement of the branch's group and the removal of stale groups run
against a real Pushgateway in tests/ops/test_live_stack.py.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from quality import publish, run
from quality.config import ConfigError, load
from quality.model import CoverageFigure, GateResult, RunSummary, SuiteResult

ROOT = Path(__file__).resolve().parents[3]


def gate(label: str, status: str, actual: float | None, unit: str = "%") -> GateResult:
    key, _, expression = label.partition(": ")
    return GateResult(
        gate=label,
        metric=f"{expression.split(' ')[0]} of {key}",
        comparator=expression.split(" ")[1],
        threshold=0.0,
        unit=unit,
        actual=actual,
        headroom=None,
        status=status,  # type: ignore[arg-type]
        source=None,
    )


def summary(verdict: str = "fail") -> RunSummary:
    return RunSummary(
        started_at="2026-11-27T10:00:00+00:00",
        finished_at="2026-11-27T10:30:00+00:00",
        duration_s=1800.0,
        verdict=verdict,  # type: ignore[arg-type]
        exit_code=0 if verdict == "pass" else 1,
        commit="abc1234",
        branch="feature/login",
        suites=[
            SuiteResult("unit", "passed", 120.5, tests=700, skipped=3),
            SuiteResult("e2e", "failed", 90.0, tests=12, failures=1, errors=1),
        ],
        gates=[
            gate("coverage{layer:backend,suite:unit}: coverage >= 85%", "pass", 91.2),
            gate("http_req_duration{suite:load}: p(95) < 500ms", "pass", 140.0, "ms"),
            gate("http_req_duration{route:POST /login,suite:load}: p(95) < 500ms", "fail", 570.0),
            gate("http_req_failed{suite:load}: rate < 0.1%", "pass", 0.05),
            gate("contracts{suite:contracts}: failures == 0", "pass", 0.0, ""),
            gate("critical_paths{suite:e2e}: coverage == 100%", "no-data", None),
            gate("coverage{suite:new-code}: coverage >= 90%", "no-base", None),
        ],
        coverage={"unit": {"backend": CoverageFigure(91.2, 900, 980, 180, 200)}},
    )


def samples(registry_text: bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(registry_text.decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_the_registry_holds_the_run_its_gates_and_figures() -> None:
    published = samples(generate_latest(publish.build_registry(summary(), 1795772000.0)))

    assert published[("valeo_quality_run_success", ())] == 0
    assert published[("valeo_quality_run_duration_seconds", ())] == 1800.0
    assert published[("valeo_quality_run_last_timestamp_seconds", ())] == 1795772000.0
    assert published[("valeo_quality_run_info", (("commit", "abc1234"),))] == 1
    login = "http_req_duration{route:POST /login,suite:load}: p(95) < 500ms"
    assert published[("valeo_quality_gate_passed", (("gate", login), ("suite", "load")))] == 0
    unit = "coverage{layer:backend,suite:unit}: coverage >= 85%"
    assert published[("valeo_quality_gate_passed", (("gate", unit), ("suite", "unit")))] == 1
    # A gate without data counts as failed; one without a base is not judged, not published.
    paths = "critical_paths{suite:e2e}: coverage == 100%"
    assert published[("valeo_quality_gate_passed", (("gate", paths), ("suite", "e2e")))] == 0
    assert not any("new-code" in dict(labels).get("gate", "") for _, labels in published)
    assert published[("valeo_quality_gates_failed", ())] == 2
    assert published[
        ("valeo_quality_coverage_ratio", (("layer", "backend"), ("suite", "unit")))
    ] == pytest.approx(0.912)
    assert published[("valeo_quality_tests", (("outcome", "passed"), ("suite", "unit")))] == 697
    assert published[("valeo_quality_tests", (("outcome", "skipped"), ("suite", "unit")))] == 3
    assert published[("valeo_quality_tests", (("outcome", "failed"), ("suite", "e2e")))] == 2
    assert published[("valeo_quality_suite_duration_seconds", (("suite", "e2e"),))] == 90.0
    assert published[("valeo_quality_load_p95_seconds", ())] == pytest.approx(0.14)
    assert published[("valeo_quality_load_error_ratio", ())] == pytest.approx(0.0005)
    assert published[("valeo_quality_contract_failures", ())] == 0
    # No figure without a measurement: a missing value is no value, not a zero.
    assert not any(name == "valeo_quality_critical_paths_ratio" for name, _ in published)


def test_a_passing_run_says_so() -> None:
    published = samples(generate_latest(publish.build_registry(summary("pass"), 0.0)))
    assert published[("valeo_quality_run_success", ())] == 1


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_a_failed_push_is_reported_not_raised() -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    publication = publish.publish(summary(), url)
    assert not publication.ok
    assert publication.error is not None
    assert "refused" in publication.error.lower()
    assert publish.describe(publication)["error"] == publication.error


def test_the_publish_url_comes_from_option_environment_or_configuration(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = load(ROOT)
    monkeypatch.delenv(run.PUSHGATEWAY_ENV, raising=False)
    assert run.publish_url(config, None) is None  # not asked for: not published
    assert run.publish_url(config, "") == config.raw["publish"]["pushgateway"]
    assert run.publish_url(config, "http://gateway:9091") == "http://gateway:9091"
    monkeypatch.setenv(run.PUSHGATEWAY_ENV, "http://env-gateway:9091")
    assert run.publish_url(config, None) == "http://env-gateway:9091"
    assert run.publish_url(config, "") == "http://env-gateway:9091"


def test_publish_without_any_url_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = load(ROOT)
    config.raw.pop("publish")
    monkeypatch.delenv(run.PUSHGATEWAY_ENV, raising=False)
    with pytest.raises(ConfigError, match="needs a URL"):
        run.publish_url(config, "")


def test_a_summary_reads_back_from_its_json() -> None:
    original = summary()
    assert RunSummary.from_json(original.to_json()) == original


def test_publish_command_refuses_what_is_not_a_summary(tmp_path: Path) -> None:
    broken = tmp_path / "summary.json"
    broken.write_text('{"verdict": "pass"}', encoding="utf-8")
    assert (
        run.main(["publish", str(broken), "--url", "http://127.0.0.1:9", "--root", str(ROOT)]) == 2
    )
    missing = tmp_path / "absent.json"
    assert (
        run.main(["publish", str(missing), "--url", "http://127.0.0.1:9", "--root", str(ROOT)]) == 2
    )


def test_publish_command_exits_1_when_the_push_fails(tmp_path: Path) -> None:
    stored = tmp_path / "summary.json"
    stored.write_text(json.dumps(summary().to_json()), encoding="utf-8")
    url = f"http://127.0.0.1:{closed_port()}"
    assert run.main(["publish", str(stored), "--url", url, "--root", str(ROOT)]) == 1
