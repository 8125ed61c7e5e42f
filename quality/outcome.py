"""What running one suite yields: its result, measurements, coverage and report sections."""

from __future__ import annotations

from dataclasses import dataclass, field

from quality.gates import Measurement
from quality.model import CoverageFigure, ModuleCoverage, SuiteResult


@dataclass
class SuiteOutcome:
    result: SuiteResult
    measurements: dict[str, Measurement] = field(default_factory=dict)
    coverage: dict[str, CoverageFigure] = field(default_factory=dict)
    modules: list[ModuleCoverage] = field(default_factory=list)
    sections: dict[str, str] = field(default_factory=dict)  # report section title -> HTML
    # gate key -> why this run does not judge it (memory growth outside a soak run)
    not_judged: dict[str, str] = field(default_factory=dict)
