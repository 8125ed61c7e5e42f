"""``[tool.quality]`` in pyproject.toml: how to run the app, the suites and the gates.

Nothing else in the harness names the ERP: another FastAPI service adopts it by writing
its own ``[tool.quality]``.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quality.gates import GateSpec, parse_gates


class ConfigError(ValueError):
    """The configuration is unusable; the harness cannot run (exit code 2)."""


@dataclass(frozen=True)
class Layer:
    """A part of the code measured on its own (coverage.py include/omit patterns)."""

    name: str
    include: tuple[str, ...]
    omit: tuple[str, ...] = ()


@dataclass(frozen=True)
class Suite:
    name: str
    kind: str  # "pytest", "commands", "e2e", "contracts" or "load"
    paths: tuple[str, ...] = ()
    coverage: bool = False
    args: tuple[str, ...] = ()
    reruns: int = 0  # pytest-rerunfailures: a test that passes on a rerun is reported flaky
    default: bool = True  # part of a run without --only
    commands: tuple[str, ...] = ()  # kind "commands": each a command line
    coverage_into: str | None = None  # its coverage also counts for that suite (e2e → integration)
    options: Mapping[str, Any] = field(default_factory=dict)  # the suite kind's own settings


@dataclass(frozen=True)
class AppConfig:
    serve: tuple[str, ...]  # argv that starts the app; "--host/--port" are appended
    seed: tuple[str, ...]  # argv that loads demo data into the configured database
    migrate: tuple[str, ...]
    health: str  # readiness path
    env_prefix: str  # e.g. "VALEO_": the runner sets <prefix>DATABASE_URL etc.


@dataclass(frozen=True)
class QualityConfig:
    root: Path
    app: AppConfig
    layers: tuple[Layer, ...]
    suites: tuple[Suite, ...]
    gates: tuple[GateSpec, ...]
    reports_dir: Path
    history_file: Path
    new_code_base_branch: str = "main"
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def report_dir(self) -> Path:
        return self.reports_dir / "latest"

    def link(self, path: Path) -> str:
        """``path`` as the report links to it (relative to the report's folder)."""
        return os.path.relpath(path, self.report_dir)

    def suite(self, name: str) -> Suite:
        for suite in self.suites:
            if suite.name == name:
                return suite
        raise ConfigError(f"unknown suite {name!r}; configured: {[s.name for s in self.suites]}")


def _tuple(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in (value or ()))


def load(root: Path) -> QualityConfig:
    """Read ``root/pyproject.toml``; raise ConfigError naming what is wrong."""
    pyproject = root / "pyproject.toml"
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))["tool"]["quality"]
    except (OSError, KeyError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read [tool.quality] from {pyproject}: {exc}") from exc
    try:
        app = data["app"]
        reports_dir = Path(
            os.environ.get("VALEO_QUALITY_REPORTS") or root / data.get("reports", "reports")
        )
        history = os.environ.get("VALEO_QUALITY_HISTORY") or data.get("history")
        return QualityConfig(
            root=root,
            app=AppConfig(
                serve=_tuple(app["serve"]),
                seed=_tuple(app.get("seed")),
                migrate=_tuple(app.get("migrate")),
                health=str(app.get("health", "/health/ready")),
                env_prefix=str(app.get("env_prefix", "")),
            ),
            layers=tuple(
                Layer(name, _tuple(spec["include"]), _tuple(spec.get("omit")))
                for name, spec in data["layers"].items()
            ),
            suites=tuple(
                Suite(
                    name=name,
                    kind=str(spec["kind"]),
                    paths=_tuple(spec.get("paths")),
                    coverage=bool(spec.get("coverage", False)),
                    args=_tuple(spec.get("args")),
                    reruns=int(spec.get("reruns", 0)),
                    default=bool(spec.get("default", True)),
                    commands=_tuple(spec.get("commands")),
                    coverage_into=spec.get("coverage_into"),
                    options=dict(spec.get("options", {})),
                )
                for name, spec in data["suites"].items()
            ),
            gates=tuple(parse_gates(data["gates"])),
            reports_dir=reports_dir,
            history_file=Path(history) if history else reports_dir / "history.jsonl",
            new_code_base_branch=str(data.get("base_branch", "main")),
            raw=data,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"[tool.quality] is incomplete or wrong: {exc!r}") from exc
