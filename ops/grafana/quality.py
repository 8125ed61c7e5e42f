"""The quality dashboard: each branch's latest run and its figures over runs.

``python -m quality`` pushes a run to the Pushgateway as the group ``job="valeo_quality"``,
``branch=…`` (quality/publish.py); Prometheus scrapes it, so every gauge becomes a series over
runs (a step per run). The limits drawn here are the gates of ``[tool.quality.gates]`` in
pyproject.toml (tests/ops/test_grafana_dashboards.py keeps them equal).
"""

from __future__ import annotations

from grafana_foundation_sdk.builders.common import TableSortByFieldState
from grafana_foundation_sdk.builders.dashboard import Dashboard, QueryVariable, Row
from grafana_foundation_sdk.models.common import (
    BigValueColorMode,
    TableColoredBackgroundCellOptions,
)
from grafana_foundation_sdk.models.dashboard import (
    DashboardCursorSync,
    DynamicConfigValue,
    VariableOption,
    VariableRefresh,
    VariableSort,
)

from ops.grafana.panels import (
    DATASOURCE,
    GREEN,
    ORANGE,
    PASS_FAIL,
    RED,
    PanelBuilder,
    bargauge_panel,
    datasource_variable,
    fixed_color,
    gate,
    query,
    stat_panel,
    table_panel,
    table_query,
    threshold_override,
    thresholds,
    timeseries_panel,
)

UID = "valeo-quality"
# (suite, layer) -> the coverage gate; the load gates: P95 < 500 ms, error rate < 0.1 %.
COVERAGE_GATES = {
    ("unit", "backend"): 0.85,
    ("integration", "backend"): 0.75,
    ("unit", "web"): 0.80,
    ("integration", "web"): 0.70,
}
LOAD_P95_LIMIT = 0.5
LOAD_ERROR_LIMIT = 0.001
DAY = 86400.0

RUN = '{job="valeo_quality",branch=~"$branch"}'
COVERAGE_LEGEND = "{{suite}} {{layer}} ({{branch}})"


def latest(metric: str, by: str = "branch") -> str:
    """The metric of the selected branches' latest runs (the Pushgateway holds one per branch)."""
    return f"max by ({by}) ({metric}{RUN})"


def branch_variable() -> QueryVariable:
    return (
        QueryVariable("branch")
        .label("Branch")
        .datasource(DATASOURCE)
        .query('label_values(valeo_quality_run_success{job="valeo_quality"}, branch)')
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(VariableSort.ALPHABETICAL_ASC)
        .multi(True)
        .include_all(True)
        .all_value(".*")
        .current(VariableOption(selected=True, text="All", value="$__all"))
    )


def latest_run() -> list[PanelBuilder]:
    return [
        stat_panel(
            "Run verdict",
            "The latest run of each branch: pass when every gate passed.",
            query(latest("valeo_quality_run_success"), "{{branch}}", instant=True),
            unit="none",
        )
        .mappings([PASS_FAIL])
        .color_mode(BigValueColorMode.BACKGROUND),
        stat_panel(
            "Gates failed",
            "Gates of the latest run that failed or had no data.",
            query(latest("valeo_quality_gates_failed"), "{{branch}}", instant=True),
            unit="none",
            limits=gate(1),
        ),
        stat_panel(
            "Time since last run",
            "Since the latest run of each branch finished.",
            query(
                f"time() - {latest('valeo_quality_run_last_timestamp_seconds')}",
                "{{branch}}",
                instant=True,
            ),
            unit="s",
            limits=thresholds(GREEN, (DAY, ORANGE), (7 * DAY, RED)),
        ),
        stat_panel(
            "Run duration",
            "Wall time of the latest run.",
            query(latest("valeo_quality_run_duration_seconds"), "{{branch}}", instant=True),
            unit="s",
        ),
        table_panel(
            "Last commit",
            "The commit each branch's latest run measured.",
            table_query(latest("valeo_quality_run_info", "branch, commit")),
        ),
    ]


def gates() -> list[PanelBuilder]:
    status = [
        DynamicConfigValue(id_val="displayName", value="status"),
        DynamicConfigValue(id_val="mappings", value=[PASS_FAIL]),
        DynamicConfigValue(id_val="custom.cellOptions", value=TableColoredBackgroundCellOptions()),
    ]
    return [
        table_panel(
            "Gate status",
            "Every gate of the latest run: pass, or fail (failed or no data). Failures first.",
            table_query(latest("valeo_quality_gate_passed", "branch, suite, gate")),
            hidden=("Time",),
            width=24,
            height=10,
        )
        .override_by_name("Value", status)
        .sort_by([TableSortByFieldState().display_name("status")]),
    ]


def coverage() -> list[PanelBuilder]:
    ratio = latest("valeo_quality_coverage_ratio", "branch, suite, layer")
    over_time = timeseries_panel(
        "Coverage by suite and layer",
        "Line coverage per suite and layer over runs; dashed lines: the gates.",
        [query(ratio, COVERAGE_LEGEND)],
        unit="percentunit",
        width=16,
        height=9,
    )
    now = bargauge_panel(
        "Coverage against the gates",
        "The latest run's coverage of each gated suite and layer, red below its gate.",
        query(ratio, COVERAGE_LEGEND, instant=True),
        unit="percentunit",
        width=8,
        height=9,
    )
    over_time, now = over_time.min(0).max(1), now.min(0).max(1)
    for (suite, layer), limit in COVERAGE_GATES.items():
        name = rf"{suite} {layer} \(.*\)"  # the whole display name: anchored or not
        limits = gate(limit, higher_is_better=True)
        over_time = over_time.override_by_regexp(name, threshold_override(limits, dashed=True))
        now = now.override_by_regexp(name, threshold_override(limits, dashed=False))
    return [over_time, now]


def load_figures() -> list[PanelBuilder]:
    return [
        timeseries_panel(
            "Load test P95 over runs",
            "P95 response time of the load test, per run; the gate is < 500 ms.",
            [query(latest("valeo_quality_load_p95_seconds"), "{{branch}}")],
            unit="s",
            limits=gate(LOAD_P95_LIMIT),
        ),
        timeseries_panel(
            "Load test error rate over runs",
            "Share of failed requests in the load test, per run; the gate is < 0.1 %.",
            [query(latest("valeo_quality_load_error_ratio"), "{{branch}}")],
            unit="percentunit",
            limits=gate(LOAD_ERROR_LIMIT),
        ),
    ]


def suites() -> list[PanelBuilder]:
    return [
        bargauge_panel(
            "Tests by suite and outcome",
            "Tests of the latest run per suite: passed, failed (failures and errors), skipped.",
            query(
                latest("valeo_quality_tests", "branch, suite, outcome"),
                "{{suite}} {{outcome}} ({{branch}})",
                instant=True,
            ),
            unit="none",
        )
        .override_by_regexp(r".* passed \(.*\)", [fixed_color(GREEN)])
        .override_by_regexp(r".* failed \(.*\)", [fixed_color(RED)])
        .override_by_regexp(r".* skipped \(.*\)", [fixed_color(ORANGE)]),
        timeseries_panel(
            "Suite durations",
            "Wall time of each suite, per run.",
            [query(latest("valeo_quality_suite_duration_seconds", "branch, suite"), "{{suite}}")],
            unit="s",
        ),
        timeseries_panel(
            "Contract findings",
            "Schemathesis findings against the OpenAPI contract, per run; the gate is 0.",
            [query(latest("valeo_quality_contract_failures"), "{{branch}}")],
            unit="none",
            width=8,
            limits=gate(1),
        ),
        timeseries_panel(
            "Critical-path pass rate",
            "Share of the critical paths (e2e/critical_paths.toml) proven by passing tests.",
            [query(latest("valeo_quality_critical_paths_ratio"), "{{branch}}")],
            unit="percentunit",
            width=8,
            limits=gate(1, higher_is_better=True),
        )
        .min(0)
        .max(1),
        timeseries_panel(
            "Run duration over runs",
            "Wall time of the whole quality run, per run.",
            [query(latest("valeo_quality_run_duration_seconds"), "{{branch}}")],
            unit="s",
            width=8,
        ),
    ]


def quality_dashboard() -> Dashboard:
    """The quality runs: the latest verdict and gates, and the figures over runs."""
    dashboard = (
        Dashboard("Valeo · Quality")
        .uid(UID)
        .description("The quality harness's runs per branch (python -m quality, Pushgateway).")
        .tags(["valeo", "quality"])
        .time("now-30d", "now")
        .refresh("5m")
        .timezone("browser")
        .tooltip(DashboardCursorSync.CROSSHAIR)
        .with_variable(datasource_variable())
        .with_variable(branch_variable())
    )
    sections = [
        ("Latest run", latest_run()),
        ("Gates", gates()),
        ("Coverage", coverage()),
        ("Load test", load_figures()),
        ("Suites, contracts and critical paths", suites()),
    ]
    for title, panels in sections:
        dashboard = dashboard.with_row(Row(title))
        for panel in panels:
            dashboard = dashboard.with_panel(panel)
    return dashboard
