"""Coverage figures per suite and layer, read with coverage.py's API."""

from __future__ import annotations

import json
import re
import tomllib
from fnmatch import fnmatch
from pathlib import Path

from coverage import Coverage, CoverageData
from coverage.exceptions import NoDataError

from quality.config import Layer, QualityConfig
from quality.gates import Measurement, metric_key
from quality.model import CoverageFigure, ModuleCoverage

PRAGMA = re.compile(r"#\s*pragma:\s*no\s*cover", re.IGNORECASE)


def data_file(config: QualityConfig, suite: str) -> Path:
    return config.reports_dir / "coverage" / f".coverage.{suite}"


def _coverage(config: QualityConfig, path: Path) -> Coverage:
    cov = Coverage(data_file=str(path), config_file=str(config.root / "pyproject.toml"))
    cov.load()
    return cov


def layer_report(
    config: QualityConfig, suite: str, layer: Layer, path: Path
) -> tuple[CoverageFigure, list[ModuleCoverage], Path]:
    """coverage.py's JSON report for one layer of one suite's data; raises NoDataError."""
    out = config.reports_dir / "coverage" / f"{suite}-{layer.name}.json"
    cov = _coverage(config, path)
    cov.json_report(
        outfile=str(out), include=list(layer.include) or None, omit=list(layer.omit) or None
    )
    report = json.loads(out.read_text(encoding="utf-8"))
    totals = report["totals"]
    figure = CoverageFigure(
        percent=round(float(totals["percent_covered"]), 2),
        covered_lines=int(totals["covered_lines"]),
        num_statements=int(totals["num_statements"]),
        covered_branches=int(totals.get("covered_branches", 0)),
        num_branches=int(totals.get("num_branches", 0)),
    )
    modules = [
        ModuleCoverage(
            path=name,
            suite=suite,
            percent=round(float(f["summary"]["percent_covered"]), 1),
            missing_lines=int(f["summary"]["missing_lines"]),
        )
        for name, f in report["files"].items()
    ]
    return figure, modules, out


def measure_suite(
    config: QualityConfig, suite: str, path: Path | None = None
) -> tuple[dict[str, Measurement], dict[str, CoverageFigure], list[ModuleCoverage]]:
    """Coverage measurements of ``suite`` for every layer (missing data → no measurement)."""
    path = path or data_file(config, suite)
    measurements: dict[str, Measurement] = {}
    figures: dict[str, CoverageFigure] = {}
    modules: list[ModuleCoverage] = []
    if not path.exists():
        return measurements, figures, modules
    for layer in config.layers:
        try:
            figure, layer_modules, out = layer_report(config, suite, layer, path)
        except NoDataError:
            continue
        key = metric_key("coverage", {"suite": suite, "layer": layer.name})
        rel = config.link(out)
        measurements[key] = Measurement("%", {"coverage": figure.percent}, source=rel)
        figures[layer.name] = figure
        modules.extend(layer_modules)
    return measurements, figures, modules


def merge_into(config: QualityConfig, source: str, target: str) -> bool:
    """Add ``source``'s data to ``target``'s (e.g. the live server's during e2e → integration)."""
    source_file, target_file = data_file(config, source), data_file(config, target)
    if not source_file.exists() or not target_file.exists():
        return False
    merged = CoverageData(basename=str(target_file))
    merged.read()
    part = CoverageData(basename=str(source_file))
    part.read()
    merged.update(part)
    merged.write()
    return True


def combine(config: QualityConfig, suites: list[str], name: str = "combined") -> Path | None:
    """Merge the suites' data into one file (the combined figure and the new-code gate)."""
    sources = [data_file(config, s) for s in suites if data_file(config, s).exists()]
    if not sources:
        return None
    target = data_file(config, name)
    target.unlink(missing_ok=True)
    combined = CoverageData(basename=str(target))
    for source in sources:
        part = CoverageData(basename=str(source))
        part.read()
        combined.update(part)
    combined.write()
    return target


def xml_report(config: QualityConfig, path: Path) -> Path:
    out = config.reports_dir / "coverage" / "combined.xml"
    _coverage(config, path).xml_report(outfile=str(out))
    return out


def omitted_patterns(config: QualityConfig) -> list[str]:
    data = tomllib.loads((config.root / "pyproject.toml").read_text(encoding="utf-8"))
    run = data.get("tool", {}).get("coverage", {}).get("run", {})
    return [str(p) for p in run.get("omit", [])]


def count_pragmas(config: QualityConfig) -> int:
    """Lines excluded by hand: they are invisible in the percentages, so they are counted."""
    omitted = omitted_patterns(config)
    files: set[Path] = set()
    for layer in config.layers:
        for pattern in layer.include:
            base = config.root / pattern.split("*", 1)[0]
            for file in base.rglob("*.py") if base.is_dir() else []:
                rel = file.relative_to(config.root).as_posix()
                excluded = [*layer.omit, *omitted]
                if fnmatch(rel, pattern) and not any(fnmatch(rel, o) for o in excluded):
                    files.add(file)
    return sum(len(PRAGMA.findall(f.read_text(encoding="utf-8"))) for f in sorted(files))
