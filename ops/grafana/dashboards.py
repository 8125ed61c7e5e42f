"""The Grafana dashboards, generated from code (grafana-foundation-sdk, Grafana 12 schema).

    python -m ops.grafana.dashboards            # write ops/grafana/dashboards/*.json
    python -m ops.grafana.dashboards --check    # exit 1 naming the files that differ

The JSON files are committed (Grafana provisions them from ops/grafana/dashboards) and must
equal the generator's output: sorted keys, two-space indent, a final newline, no timestamps.

For tests that run the panels against a real Prometheus: ``panel_queries`` lists every
query of a dashboard's JSON, ``substitute`` puts values in for Grafana's variables and
``variables_for_test`` gives values that select everything (``.*``) over short windows.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grafana_foundation_sdk.builders.dashboard import Dashboard
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import dashboard as model

from ops.grafana.panels import DATASOURCE_UID
from ops.grafana.quality import quality_dashboard
from ops.grafana.service import service_dashboard

DASHBOARD_DIR = Path(__file__).resolve().parent / "dashboards"
# uid -> the dashboard; written to DASHBOARD_DIR / f"{uid}.json".
DASHBOARDS: dict[str, Callable[[], Dashboard]] = {
    "valeo-service": service_dashboard,
    "valeo-quality": quality_dashboard,
}


def build(uid: str) -> model.Dashboard:
    """The dashboard ``uid`` with its panels numbered 1, 2, … in order (rows included)."""
    built = DASHBOARDS[uid]().build()
    if built.uid != uid:
        raise ValueError(f"dashboard {uid!r} is built with uid {built.uid!r}")
    number = 0
    for panel in built.panels or []:
        number += 1
        panel.id_val = number
        for nested in getattr(panel, "panels", None) or []:
            number += 1
            nested.id_val = number
    return built


def render(built: model.Dashboard) -> str:
    """The dashboard as stable JSON text: sorted keys, two-space indent, final newline."""
    text = json.dumps(built, cls=JSONEncoder, indent=2, sort_keys=True, ensure_ascii=False)
    return text + "\n"


def generate() -> dict[str, str]:
    """File name -> JSON text of every dashboard."""
    return {f"{uid}.json": render(build(uid)) for uid in DASHBOARDS}


def dashboards_json() -> list[dict[str, Any]]:
    """The generated dashboards as Grafana reads them (parsed JSON)."""
    return [json.loads(text) for text in generate().values()]


def write(directory: Path = DASHBOARD_DIR) -> list[Path]:
    """Write every dashboard into ``directory``; the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in generate().items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def check(directory: Path = DASHBOARD_DIR) -> list[Path]:
    """The files of ``directory`` that differ from the generator's output: changed, missing,
    or JSON files it does not generate (Grafana would provision those too)."""
    expected = generate()
    differ = [
        directory / name
        for name, text in expected.items()
        if not (directory / name).is_file()
        or (directory / name).read_text(encoding="utf-8") != text
    ]
    strays = [path for path in sorted(directory.glob("*.json")) if path.name not in expected]
    return differ + strays


# ---------------------------------------------------------------------------------------------
# The queries of a dashboard, for the tests


@dataclass(frozen=True)
class PanelQuery:
    """One query of one panel: ``instant`` asks for a value now, otherwise a range."""

    dashboard_uid: str
    title: str
    ref_id: str
    expr: str
    instant: bool


def iter_panels(dashboard: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Every panel that is not a row, rows' nested (collapsed) panels included."""
    for panel in dashboard.get("panels", []):
        if panel.get("type") == "row":
            yield from panel.get("panels", [])
        else:
            yield panel


def panel_queries(dashboard: Mapping[str, Any]) -> list[PanelQuery]:
    """Every PromQL query of the dashboard's panels, in panel order."""
    return [
        PanelQuery(
            dashboard_uid=dashboard.get("uid", ""),
            title=panel.get("title", ""),
            ref_id=target.get("refId", ""),
            expr=target["expr"],
            instant=bool(target.get("instant", False)),
        )
        for panel in iter_panels(dashboard)
        for target in panel.get("targets", [])
        if target.get("expr")
    ]


# $name, ${name}, ${name:format} and the deprecated [[name]] / [[name:format]].
_VARIABLE = re.compile(
    r"\$\{(?P<braced>\w+)(?::\w+)?\}|\$(?P<plain>\w+)|\[\[(?P<bracketed>\w+)(?::\w+)?\]\]"
)


def substitute(expr: str, variables: Mapping[str, str]) -> str:
    """``expr`` with Grafana's variables replaced by ``variables[name]`` (names without ``$``).

    Values go in as given, whatever format a ``${name:format}`` asks for: pass values that
    are already what Grafana would interpolate (a regex such as ``.*`` for a multi-value
    variable used with ``=~``). A variable without a value raises KeyError.
    """

    def value(match: re.Match[str]) -> str:
        name = match.group("braced") or match.group("plain") or match.group("bracketed")
        if name not in variables:
            raise KeyError(f"no value for ${name} in {expr!r}")
        return variables[name]

    return _VARIABLE.sub(value, expr)


def variables_for_test() -> dict[str, str]:
    """Values selecting every route and branch, over windows a short-lived Prometheus fills.

    ``$__rate_interval`` is 1m (Grafana: at least four scrape intervals), ``$__range`` 5m (the
    stats over the time range), ``$__interval`` 15s; ``route`` and ``branch`` are ``.*``, the
    value of "All".
    """
    return {
        "__rate_interval": "1m",
        "__interval": "15s",
        "__range": "5m",
        "datasource": DATASOURCE_UID,
        "route": ".*",
        "branch": ".*",
    }


_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKETS = re.compile(r"\{[^}]*\}|\[[^\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_NAME = re.compile(r"(?<![\w.])[A-Za-z_:][\w:]*\b(?!\s*\()")
_KEYWORDS = frozenset({"and", "or", "unless", "bool", "offset", "inf", "nan"})


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads (a heuristic good for our dashboards):
    identifiers outside strings, label matchers, ranges and groupings, not called as a
    function and not an operator keyword."""
    stripped = _GROUPING.sub(" ", _BRACKETS.sub(" ", _STRINGS.sub('""', expr)))
    return {name for name in _NAME.findall(stripped) if name.lower() not in _KEYWORDS}


# ---------------------------------------------------------------------------------------------
# Command line


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ops.grafana.dashboards", description=__doc__.split("\n", 1)[0]
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if a file differs"
    )
    parser.add_argument(
        "--directory",
        type=Path,
        default=DASHBOARD_DIR,
        help="where the JSON files are (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    if args.check:
        differ = check(args.directory)
        for path in differ:
            sys.stderr.write(f"{_shown(path)}: differs from the generator's output\n")
        if differ:
            sys.stderr.write("regenerate with: python -m ops.grafana.dashboards\n")
            return 1
        sys.stdout.write(f"{len(DASHBOARDS)} dashboards up to date\n")
        return 0
    for path in write(args.directory):
        sys.stdout.write(f"wrote {_shown(path)}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
