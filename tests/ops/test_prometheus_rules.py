"""ops/prometheus checked with promtool: the configuration, the rule files, the rules' unit tests.

The unit tests (ops/prometheus/tests/*.yml) must be able to fail: copies of the rules with
every alert made silent, or always firing, or one threshold or ``for`` moved, must fail them.
Every alert needs a firing and a silent expectation, and must fire within the product plan's
alert response time (5 minutes). Without promtool (Debian: the ``prometheus`` package) the
promtool tests are skipped, unless ``VALEO_REQUIRE_OPS`` is set (CI): then they fail.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS_DIR = ROOT / "ops" / "prometheus"
CONFIG = PROMETHEUS_DIR / "prometheus.yml"
RULE_FILES = sorted((PROMETHEUS_DIR / "rules").glob("*.yml"))
TEST_FILES = sorted((PROMETHEUS_DIR / "tests").glob("*.yml"))
REQUIRE_ENV = "VALEO_REQUIRE_OPS"
ALERT_RESPONSE_SECONDS = 5 * 60  # product plan: "Alert Response Time < 5 Minuten"
SEVERITIES = {"page", "ticket"}
JOBS = {"valeo": "127.0.0.1:8000", "pushgateway": "127.0.0.1:9091", "node": "127.0.0.1:9100"}

DURATION_PART = re.compile(r"(\d+)(ms|s|m|h|d)")
UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
RANGE = re.compile(r"\[(\w+)\]")
IDENTIFIER = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
# promtool's report of a failed alert expectation: "exp:[]," when the alert should have been
# silent, "exp:[ 0: ..." when it should have fired.
FAILED_ALERT = re.compile(r"alertname: (\w+), time: \S+,\s*exp:\[(\]?)")

Rule = dict[str, Any]


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def rules_in(document: Any) -> list[Rule]:
    return [rule for group in document["groups"] for rule in group["rules"]]


def alert_rules() -> list[Rule]:
    return [rule for path in RULE_FILES for rule in rules_in(load_yaml(path)) if "alert" in rule]


def alert_names() -> set[str]:
    return {rule["alert"] for rule in alert_rules()}


def seconds(duration: str) -> float:
    parts = DURATION_PART.findall(duration)
    assert parts, f"not a Prometheus duration: {duration!r}"
    assert "".join(f"{n}{unit}" for n, unit in parts) == duration, duration
    return sum(int(n) * UNIT_SECONDS[unit] for n, unit in parts)


def alert_tests(path: Path) -> list[dict[str, Any]]:
    return [
        case for group in load_yaml(path)["tests"] for case in group.get("alert_rule_test") or []
    ]


def unit_tests_for(alert: str) -> list[Path]:
    """The unit test files with expectations for ``alert``."""
    return [path for path in TEST_FILES if any(c["alertname"] == alert for c in alert_tests(path))]


# ---------------------------------------------------------------------------------------------
# Without promtool


def test_the_files_are_there() -> None:
    assert CONFIG.is_file()
    assert RULE_FILES, "no rule files in ops/prometheus/rules"
    assert TEST_FILES, "no unit tests in ops/prometheus/tests"


def test_config_scrapes_the_three_jobs_on_loopback() -> None:
    config = load_yaml(CONFIG)
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == set(JOBS)
    for name, target in JOBS.items():
        assert jobs[name]["static_configs"] == [{"targets": [target]}]
    assert jobs["valeo"]["metrics_path"] == "/metrics"
    assert jobs["pushgateway"]["honor_labels"] is True


def test_config_loads_every_rule_file_and_no_unit_test() -> None:
    patterns = load_yaml(CONFIG)["rule_files"]
    loaded = sorted({path for pattern in patterns for path in PROMETHEUS_DIR.glob(pattern)})
    assert loaded == RULE_FILES


def test_every_rule_file_has_unit_tests() -> None:
    tested = {
        (path.parent / rule_file).resolve()
        for path in TEST_FILES
        for rule_file in load_yaml(path)["rule_files"]
    }
    assert set(RULE_FILES) <= tested


def test_every_alert_has_a_firing_and_a_silent_expectation() -> None:
    firing: set[str] = set()
    silent: set[str] = set()
    for path in TEST_FILES:
        for case in alert_tests(path):
            (firing if case.get("exp_alerts") else silent).add(case["alertname"])
    alerts = alert_names()
    assert alerts - firing == set(), "alerts never expected to fire"
    assert alerts - silent == set(), "alerts never expected to stay silent"
    # An expectation for an alert that does not exist passes whenever it expects silence.
    assert (firing | silent) - alerts == set(), "expectations for alerts that do not exist"


def test_every_alert_has_a_severity_a_summary_and_a_description() -> None:
    for rule in alert_rules():
        assert rule["labels"]["severity"] in SEVERITIES, rule["alert"]
        assert {"summary", "description"} <= set(rule["annotations"]), rule["alert"]


def ranges(expr: str, records: dict[str, str], seen: frozenset[str] = frozenset()) -> list[str]:
    """The range windows of ``expr`` and of the recording rules it reads, recursively."""
    found = RANGE.findall(expr)
    for name in set(IDENTIFIER.findall(expr)) & (set(records) - seen):
        found += ranges(records[name], records, seen | {name})
    return found


def test_every_alert_fires_within_the_alert_response_time() -> None:
    """Worst case: a scrape, the rate window, the ``for`` and an evaluation."""
    settings = load_yaml(CONFIG)["global"]
    delay = seconds(settings["scrape_interval"]) + seconds(settings["evaluation_interval"])
    records = {
        rule["record"]: rule["expr"]
        for path in RULE_FILES
        for rule in rules_in(load_yaml(path))
        if "record" in rule
    }
    late = {}
    for rule in alert_rules():
        window = max((seconds(w) for w in ranges(rule["expr"], records)), default=0)
        worst = delay + window + seconds(rule.get("for", "0s"))
        if worst > ALERT_RESPONSE_SECONDS:
            late[rule["alert"]] = worst
    assert late == {}


# ---------------------------------------------------------------------------------------------
# promtool


@pytest.fixture(scope="module")
def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        message = "promtool is not installed (Debian: apt-get install prometheus)"
        if os.environ.get(REQUIRE_ENV, "") not in ("", "0"):
            pytest.fail(f"{REQUIRE_ENV} is set but {message}")
        pytest.skip(message)
    return found


def run(promtool: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [promtool, *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def report(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"


def failed_alerts(result: subprocess.CompletedProcess[str]) -> tuple[set[str], set[str]]:
    """The alerts whose (firing, silent) expectations failed, from promtool's report."""
    firing: set[str] = set()
    silent: set[str] = set()
    for name, closed in FAILED_ALERT.findall(result.stdout + result.stderr):
        (silent if closed else firing).add(name)
    return firing, silent


def test_config_is_valid(promtool: str) -> None:
    result = run(promtool, "check", "config", CONFIG)
    assert result.returncode == 0, report(result)
    assert "FAILED" not in result.stdout + result.stderr, report(result)
    for path in RULE_FILES:
        assert path.name in result.stdout, report(result)


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.name)
def test_rule_file_is_valid(promtool: str, path: Path) -> None:
    result = run(promtool, "check", "rules", path)
    assert result.returncode == 0, report(result)
    assert "SUCCESS" in result.stdout, report(result)
    assert "FAILED" not in result.stdout + result.stderr, report(result)


@pytest.mark.parametrize("path", TEST_FILES, ids=lambda p: p.name)
def test_rule_unit_tests_pass(promtool: str, path: Path) -> None:
    result = run(promtool, "test", "rules", path)
    assert result.returncode == 0, report(result)
    assert "SUCCESS" in result.stdout, report(result)


def copy_with_rules(tmp_path: Path, change: Callable[[list[Rule]], None]) -> Path:
    """ops/prometheus's rules and tests under ``tmp_path``, the rules passed through ``change``.

    Returns the copy's tests directory (the tests find the rules at ``../rules``).
    """
    copy = tmp_path / "prometheus"
    shutil.copytree(PROMETHEUS_DIR / "tests", copy / "tests")
    (copy / "rules").mkdir()
    documents = {path.name: load_yaml(path) for path in RULE_FILES}
    change([rule for document in documents.values() for rule in rules_in(document)])
    for name, document in documents.items():
        text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
        (copy / "rules" / name).write_text(text, encoding="utf-8")
    return copy / "tests"


def run_tests(promtool: str, tests: Path, names: Iterable[str]) -> subprocess.CompletedProcess[str]:
    return run(promtool, "test", "rules", *(tests / name for name in names))


def unchanged(rules: list[Rule]) -> None:
    """Leaves the rules as they are."""


def test_the_copied_rules_pass_unchanged(promtool: str, tmp_path: Path) -> None:
    """The control for the mutants below: copying alone breaks nothing."""
    tests = copy_with_rules(tmp_path, unchanged)
    result = run_tests(promtool, tests, (path.name for path in TEST_FILES))
    assert result.returncode == 0, report(result)


def make_silent(rules: list[Rule]) -> None:
    for rule in rules:
        if "alert" in rule:
            rule["expr"] = "vector(1) < 0"


def make_always_firing(rules: list[Rule]) -> None:
    for rule in rules:
        if "alert" in rule:
            rule["expr"] = "vector(1)"
            rule["annotations"] = {}  # their queries would run at every evaluation


@pytest.mark.parametrize(
    ("change", "expectation"),
    [(make_silent, "firing"), (make_always_firing, "silent")],
    ids=["never firing", "always firing"],
)
def test_every_alert_mutant_fails_its_expectations(
    promtool: str, tmp_path: Path, change: Callable[[list[Rule]], None], expectation: str
) -> None:
    """Every alert made silent fails a firing expectation; made always firing, a silent one."""
    tests = copy_with_rules(tmp_path, change)
    result = run_tests(promtool, tests, (path.name for path in TEST_FILES))
    assert result.returncode != 0, report(result)
    firing, silent = failed_alerts(result)
    caught = firing if expectation == "firing" else silent
    assert alert_names() - caught == set(), report(result)


@dataclass(frozen=True)
class Mutant:
    """A small change to one rule (``field``: ``old`` -> ``new``) the unit tests must notice.

    ``group`` is the unit test group that must catch it: the one written for that behaviour.
    """

    name: str  # the alert or recording rule
    field: str  # "expr" or "for"
    old: str
    new: str
    group: str
    nth: int = 0  # which rule of that name (ValeoQualityRunMissing has two)
    caught_by: str = ""  # the alert whose expectations must fail, if not ``name``

    @property
    def alert(self) -> str:
        return self.caught_by or self.name

    def __str__(self) -> str:
        return f"{self.name} {self.field}: {self.old} -> {self.new}"

    def apply(self, rules: list[Rule]) -> None:
        named = [rule for rule in rules if self.name in (rule.get("alert"), rule.get("record"))]
        rule = named[self.nth]
        assert self.old in str(rule[self.field]), f"stale mutant: {self}"
        rule[self.field] = str(rule[self.field]).replace(self.old, self.new, 1)


P95 = "ValeoHighLatencyP95"
ERRORS = "ValeoHighErrorRate"
CPU = "ValeoHighCpu"
CPU_BUSY = "valeo:node_cpu_busy:ratio_rate2m"
MEMORY = "ValeoHighMemory"
RUN_MISSING = "ValeoQualityRunMissing"
MUTANTS = [
    # The threshold; a P95 of exactly 0.5 s (the bucket's bound) is within budget.
    Mutant(P95, "expr", "> 0.5", "> 5", "latency"),
    Mutant(P95, "expr", "> 0.5", ">= 0.5", "latency"),
    Mutant(ERRORS, "expr", "> 0.001", "> 0.002", "error rate above 0.1 %"),
    Mutant(ERRORS, "expr", "> 0.001", "> 0.0004", "error rate below 0.1 %"),
    # Blips shorter than the `for` stay silent.
    Mutant(ERRORS, "for", "2m", "1m", "error rate without traffic, and one stray error"),
    Mutant("ValeoInstanceDown", "for", "1m", "30s", "targets blip"),
    Mutant("ValeoMonitoringTargetDown", "for", "2m", "1m30s", "targets blip"),
    Mutant(MEMORY, "for", "3m", "2m", "memory within target"),
    Mutant(RUN_MISSING, "for", "2m", "1m", "run never published, and a short gap", nth=1),
    # Healthy hosts stay silent; CPU is the cores' average, not the busiest core.
    Mutant(CPU, "expr", "> 0.7", "> 0.6", "cpu within target"),
    Mutant(CPU_BUSY, "expr", "avg by", "min by", "cpu within target", caught_by=CPU),
    Mutant(MEMORY, "expr", "> 0.8", "> 0.7", "memory within target"),
    # Only main must publish nightly: a merged branch's old run does not alert.
    Mutant(RUN_MISSING, "expr", ', branch="main"', "", "run missing on main"),
]


@pytest.mark.parametrize("mutant", MUTANTS, ids=str)
def test_a_mutant_rule_fails_its_unit_tests(promtool: str, tmp_path: Path, mutant: Mutant) -> None:
    tests = copy_with_rules(tmp_path, mutant.apply)
    files = unit_tests_for(mutant.alert)
    assert files, f"no unit tests for {mutant.alert}"
    result = run_tests(promtool, tests, (path.name for path in files))
    assert result.returncode != 0, report(result)
    # promtool names the group of each failed expectation: "name: <group>,\n alertname: <alert>,"
    caught = re.search(
        rf"name: {re.escape(mutant.group)},\s*alertname: {mutant.alert},",
        result.stdout + result.stderr,
    )
    assert caught, f"not caught by the group {mutant.group!r}\n{report(result)}"


def test_a_wrong_expected_annotation_fails(promtool: str, tmp_path: Path) -> None:
    tests = copy_with_rules(tmp_path, unchanged)
    path = tests / "http_test.yml"
    text = path.read_text(encoding="utf-8")
    expected = 'summary: "P95 latency of /api/reports/trial-balance is 975ms"'
    assert expected in text
    path.write_text(text.replace(expected, expected.replace("975ms", "974ms")), encoding="utf-8")
    result = run_tests(promtool, tests, [path.name])
    assert result.returncode != 0, report(result)
    assert failed_alerts(result)[0] == {"ValeoHighLatencyP95"}, report(result)
