"""Gates in a k6-like grammar, and their evaluation.

Declared in ``[tool.quality.gates]`` as ``"metric{tag:value,…}" = ["aggregation op threshold"]``::

    "coverage{suite:unit,layer:backend}" = ["coverage >= 85%"]
    "http_req_duration" = ["p(95) < 500ms"]
    "http_req_duration{route:GET /api/v1/customers}" = ["p(95) < 300ms"]
    "http_req_failed" = ["rate < 0.1%"]
    "server_cpu" = ["avg < 70%"]

A tag value ``*`` declares the gate for every measured value of that tag: one gate result
per route, each naming its route. A gate whose measurement is missing fails with "no data":
it never passes by default; a ``*`` gate that matches nothing fails the same way.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from quality.model import GateResult

COMPARATORS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
# Each unit, and how to express a value of it in the base unit of its kind.
UNITS: dict[str, tuple[str, float]] = {
    "%": ("%", 1.0),
    "ms": ("ms", 1.0),
    "s": ("ms", 1000.0),
    "": ("", 1.0),
}
EXPRESSION = re.compile(
    r"^\s*(?P<agg>[a-z_]+(?:\((?P<arg>[0-9.]+)\))?)\s*(?P<op><=|>=|==|!=|<|>)\s*"
    r"(?P<num>-?[0-9]+(?:\.[0-9]+)?)\s*(?P<unit>%|ms|s)?\s*$"
)
METRIC = re.compile(r"^(?P<name>[a-z_][a-z0-9_.-]*)(?:\{(?P<tags>[^}]*)\})?$")


class GateSyntaxError(ValueError):
    pass


@dataclass(frozen=True)
class GateSpec:
    metric: str  # "coverage"
    tags: tuple[tuple[str, str], ...]  # (("suite","unit"),("layer","backend"))
    aggregation: str  # "coverage", "p(95)", "rate", "avg", "failures", …
    comparator: str
    threshold: float  # in the base unit
    unit: str  # base unit: "%", "ms" or ""
    text: str  # as declared

    @property
    def key(self) -> str:
        """The measurement this gate reads, e.g. ``coverage{layer:backend,suite:unit}``."""
        return metric_key(self.metric, dict(self.tags))

    @property
    def label(self) -> str:
        return f"{self.key}: {self.text}"


def metric_key(name: str, tags: Mapping[str, str]) -> str:
    if not tags:
        return name
    return name + "{" + ",".join(f"{k}:{tags[k]}" for k in sorted(tags)) + "}"


def parse_gate(metric: str, expression: str) -> GateSpec:
    metric_match = METRIC.match(metric.strip())
    expr = EXPRESSION.match(expression)
    if not metric_match or not expr:
        raise GateSyntaxError(f"cannot parse gate {metric!r}: {expression!r}")
    tags: dict[str, str] = {}
    for pair in filter(None, (metric_match["tags"] or "").split(",")):
        key, sep, value = pair.partition(":")
        if not sep or not key.strip() or not value.strip():
            raise GateSyntaxError(f"tag {pair!r} in {metric!r} is not name:value")
        tags[key.strip()] = value.strip()
    base_unit, factor = UNITS[expr["unit"] or ""]
    return GateSpec(
        metric=metric_match["name"],
        tags=tuple(sorted(tags.items())),
        aggregation=expr["agg"],
        comparator=expr["op"],
        threshold=float(expr["num"]) * factor,
        unit=base_unit,
        text=expression.strip(),
    )


def parse_gates(declared: Mapping[str, list[str] | str]) -> list[GateSpec]:
    specs = []
    for metric, expressions in declared.items():
        for expression in [expressions] if isinstance(expressions, str) else expressions:
            specs.append(parse_gate(metric, expression))
    return specs


@dataclass
class Measurement:
    """Values of one metric key: aggregation -> value (in ``unit``), read from ``source``."""

    unit: str
    values: dict[str, float] = field(default_factory=dict)
    source: str | None = None
    note: str = ""  # e.g. "no base: nothing to compare against"
    metric: str = ""  # name and tags, for gates declared with a "*" tag
    tags: Mapping[str, str] = field(default_factory=dict)


def tagged(
    metric: str, tags: Mapping[str, str], unit: str, values: dict[str, float], source: str
) -> tuple[str, Measurement]:
    """A measurement that ``*`` gates can find by its name and tags, with its key."""
    measurement = Measurement(unit, values, source=source, metric=metric, tags=dict(tags))
    return metric_key(metric, tags), measurement


def headroom(comparator: str, actual: float, threshold: float) -> float:
    """How far the value may move before the gate flips; negative when it fails."""
    if comparator in ("<", "<="):
        return threshold - actual
    if comparator in (">", ">="):
        return actual - threshold
    distance = abs(actual - threshold)
    return -distance if comparator == "==" else distance


def evaluate(spec: GateSpec, measurements: Mapping[str, Measurement]) -> GateResult:
    measurement = measurements.get(spec.key)
    result = GateResult(
        gate=spec.label,
        metric=f"{spec.aggregation} of {spec.key}",
        comparator=spec.comparator,
        threshold=spec.threshold,
        unit=spec.unit,
        actual=None,
        headroom=None,
        status="no-data",
        source=measurement.source if measurement else None,
    )
    if measurement is None:
        result.detail = f"no data: nothing measured {spec.key}"
        return result
    if measurement.note.startswith("no base"):
        result.status, result.detail = "no-base", measurement.note
        return result
    if spec.aggregation not in measurement.values:
        result.detail = (
            f"no data: {spec.key} has no {spec.aggregation} ({measurement.note})".strip()
        )
        return result
    if measurement.unit != spec.unit:
        result.detail = f"no data: {spec.key} is in {measurement.unit!r}, the gate in {spec.unit!r}"
        return result
    actual = measurement.values[spec.aggregation]
    passed = COMPARATORS[spec.comparator](actual, spec.threshold)
    result.actual = round(actual, 4)
    result.headroom = round(headroom(spec.comparator, actual, spec.threshold), 4) + 0.0  # no -0
    result.status = "pass" if passed else "fail"
    result.detail = measurement.note
    return result


WILDCARD = "*"


def expand(spec: GateSpec, measurements: Mapping[str, Measurement]) -> list[GateSpec]:
    """The gates ``spec`` stands for: itself, or one per measurement its ``*`` tags match."""
    wild = {name for name, value in spec.tags if value == WILDCARD}
    if not wild:
        return [spec]
    fixed = {name: value for name, value in spec.tags if value != WILDCARD}
    matching = [
        m
        for m in measurements.values()
        if m.metric == spec.metric
        and set(m.tags) == wild | set(fixed)
        and all(m.tags[name] == value for name, value in fixed.items())
    ]
    return [
        replace(spec, tags=tuple(sorted(m.tags.items())))
        for m in sorted(matching, key=lambda m: metric_key(m.metric, m.tags))
    ]


def evaluate_all(
    specs: list[GateSpec], measurements: Mapping[str, Measurement]
) -> list[GateResult]:
    results = []
    for spec in specs:
        concrete = expand(spec, measurements)
        if not concrete:
            result = evaluate(spec, measurements)
            result.detail = f"no data: nothing measured matches {spec.key}"
            results.append(result)
        for gate in concrete:
            result = evaluate(gate, measurements)
            result.declared = spec.label if gate is not spec else ""
            results.append(result)
    return results
