"""What a quality run produces: suite results, measurements, gate results, the summary.

``RunSummary.to_json()`` is ``reports/latest/summary.json``; its JSON Schema is
``quality/summary.schema.json`` (bump ``SCHEMA_VERSION`` on any incompatible change).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

SCHEMA_VERSION = 1

GateStatus = Literal["pass", "fail", "no-data", "no-base"]
SuiteStatus = Literal["passed", "failed", "error", "skipped"]
Verdict = Literal["pass", "fail", "error"]


@dataclass
class GateResult:
    """One gate judged: ``metric comparator threshold`` against the measured value."""

    gate: str  # as declared, e.g. "coverage.unit.backend >= 85%"
    metric: str  # e.g. "coverage.unit.backend" or "p95[GET /api/v1/customers]"
    comparator: str  # one of < <= > >= == !=
    threshold: float  # in ``unit``
    unit: str  # "%", "ms", "s", "" (a plain number)
    actual: float | None  # in ``unit``; None when there is no data
    headroom: float | None  # distance to failing, in ``unit``; negative when failing
    status: GateStatus
    source: str | None  # the artefact the value was read from
    detail: str = ""  # why "no-data" / "no-base", or extra context
    declared: str = ""  # the declared gate one of many judged (e.g. per route); "" for itself


@dataclass
class TestTiming:
    __test__ = False  # not a pytest test class, despite its name

    name: str  # pytest node id
    seconds: float


@dataclass
class Failure:
    name: str
    category: str  # e.g. "assertion", "error", "timeout", "server-error"
    message: str


@dataclass
class SuiteResult:
    name: str  # "unit", "integration", later "e2e", "contracts", "load", …
    status: SuiteStatus
    duration_s: float
    tests: int = 0
    failures: int = 0
    errors: int = 0
    skipped: int = 0
    flaky: list[str] = field(default_factory=list)  # passed only on a retry
    slowest: list[TestTiming] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    artefacts: dict[str, str] = field(default_factory=dict)  # label -> path under reports/
    detail: str = ""  # why the suite errored or was skipped
    log: str | None = None  # path of the captured output


@dataclass
class CoverageFigure:
    percent: float  # coverage.py's total, with branches
    covered_lines: int
    num_statements: int
    covered_branches: int
    num_branches: int


@dataclass
class ModuleCoverage:
    path: str
    suite: str
    percent: float
    missing_lines: int


@dataclass
class HistoryPoint:
    """One earlier run, as kept in the history store (for trends and regressions)."""

    started_at: str
    commit: str | None
    verdict: Verdict
    duration_s: float
    metrics: dict[str, float]  # gate metric -> actual value
    failed_tests: list[str] = field(default_factory=list)


@dataclass
class RunSummary:
    started_at: str  # ISO 8601 UTC
    finished_at: str
    duration_s: float
    verdict: Verdict
    exit_code: int  # 0 pass, 1 a gate failed, 2 the harness broke
    commit: str | None
    branch: str | None
    suites: list[SuiteResult]
    gates: list[GateResult]
    # suite -> layer ("backend", "web", "all") -> figure; suite "combined" = unit + integration
    coverage: dict[str, dict[str, CoverageFigure]] = field(default_factory=dict)
    least_covered: list[ModuleCoverage] = field(default_factory=list)
    omitted: list[str] = field(default_factory=list)  # coverage ``omit`` entries, verbatim
    pragma_no_cover: int | None = None  # lines excluded with "pragma: no cover"
    pragma_no_cover_change: int | None = None  # against the previous run
    regressions: list[str] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)
    history: list[HistoryPoint] = field(default_factory=list)  # oldest first, this run excluded
    history_note: str = ""  # e.g. "no history yet"
    schema_version: int = SCHEMA_VERSION

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunSummary:
        """The inverse of ``to_json`` (a ``summary.json`` read back, e.g. to publish it)."""
        data = dict(data)
        data["suites"] = [
            SuiteResult(
                **{
                    **suite,
                    "slowest": [TestTiming(**t) for t in suite.get("slowest", [])],
                    "failed": [Failure(**f) for f in suite.get("failed", [])],
                }
            )
            for suite in data["suites"]
        ]
        data["gates"] = [GateResult(**gate) for gate in data["gates"]]
        data["coverage"] = {
            suite: {layer: CoverageFigure(**figure) for layer, figure in layers.items()}
            for suite, layers in data.get("coverage", {}).items()
        }
        data["least_covered"] = [ModuleCoverage(**m) for m in data.get("least_covered", [])]
        data["history"] = [HistoryPoint(**point) for point in data.get("history", [])]
        return cls(**data)

    @property
    def failing_gates(self) -> list[GateResult]:
        return [g for g in self.gates if g.status in ("fail", "no-data")]
