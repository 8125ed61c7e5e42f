"""The ERP service dashboard: RED per route, capacity, resources, business counters, build.

Every query returns data on a running ERP even when nothing went wrong: shares of errors and
counters that only appear with their first event (exceptions, a stock movement kind, a login
refusal reason) fall back to 0 instead of leaving the panel empty. The ERP runs as job
``valeo``, the node exporter as job ``node`` (ops/prometheus/prometheus.yml).
"""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard, QueryVariable, Row
from grafana_foundation_sdk.models.common import BigValueTextMode
from grafana_foundation_sdk.models.dashboard import (
    DashboardCursorSync,
    VariableOption,
    VariableRefresh,
    VariableSort,
)

from ops.grafana.panels import (
    DATASOURCE,
    GREEN,
    ORANGE,
    RED,
    PanelBuilder,
    datasource_variable,
    gate,
    query,
    stat_panel,
    thresholds,
    timeseries_panel,
)

UID = "valeo-service"
P95_LIMIT = 0.5  # seconds: the load gate's P95 < 500 ms
ERROR_LIMIT = 0.001  # the load gate's error rate < 0.1 %

REQUESTS = 'valeo_http_requests_total{job="valeo",route=~"$route"}'
ERRORS = 'valeo_http_requests_total{job="valeo",route=~"$route",status="5xx"}'
BUCKETS = 'valeo_http_request_duration_seconds_bucket{job="valeo",route=~"$route"}'
EXCEPTIONS = 'valeo_http_exceptions_total{job="valeo",route=~"$route"}'
RATE = "[$__rate_interval]"
RANGE = "[$__range]"


def route_variable() -> QueryVariable:
    """Routes (templates) the ERP has answered; all of them by default (``.*``)."""
    return (
        QueryVariable("route")
        .label("Route")
        .datasource(DATASOURCE)
        .query('label_values(valeo_http_requests_total{job="valeo"}, route)')
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(VariableSort.ALPHABETICAL_ASC)
        .multi(True)
        .include_all(True)
        .all_value(".*")
        .current(VariableOption(selected=True, text="All", value="$__all"))
    )


def error_share(by: str, window: str) -> str:
    """5xx answers / all answers; 0 (not nothing) for routes that answered no 5xx."""
    grouping = f"sum by ({by}) " if by else "sum"
    errors = f"{grouping}(rate({ERRORS}{window}))"
    answered = f"{grouping}(rate({REQUESTS}{window}))"
    return f"({errors} or 0 * {answered}) / {answered}"


def latency(quantile: float, by: str, window: str) -> str:
    return f"histogram_quantile({quantile}, sum by ({by}) (rate({BUCKETS}{window})))"


def overview() -> list[PanelBuilder]:
    return [
        stat_panel(
            "Request rate",
            "Requests answered per second, the selected routes.",
            query(f"sum(rate({REQUESTS}{RATE}))", "requests/s"),
            unit="reqps",
            sparkline=True,
        ),
        stat_panel(
            "Error rate (5xx share)",
            "Share of answers with a 5xx status over the time range; the SLO is < 0.1 %.",
            query(error_share("", RANGE), "5xx share", instant=True),
            unit="percentunit",
            limits=gate(ERROR_LIMIT),
        ),
        stat_panel(
            "P95 latency",
            "95th percentile of the response time over the time range; the SLO is < 500 ms.",
            query(latency(0.95, "le", RANGE), "P95", instant=True),
            unit="s",
            limits=gate(P95_LIMIT),
        ),
        stat_panel(
            "Requests in progress",
            "Requests being served now (all workers).",
            query('sum(valeo_http_requests_in_progress{job="valeo"})', "in progress"),
            unit="short",
            sparkline=True,
        ),
        stat_panel(
            "Unhandled exceptions",
            "Requests that ended in an unhandled exception over the time range.",
            query(f"sum(increase({EXCEPTIONS}{RANGE})) or vector(0)", "exceptions", instant=True),
            unit="short",
            limits=gate(1),
        ),
        stat_panel(
            "Build",
            "The running build: version, commit and Python (valeo_build_info).",
            query(
                'max by (version, commit, python) (valeo_build_info{job="valeo"})',
                "{{version}} {{commit}} Python {{python}}",
                instant=True,
            ),
            unit="short",
            text_mode=BigValueTextMode.NAME,
        ),
    ]


def red_by_route() -> list[PanelBuilder]:
    percentiles = [
        query(latency(quantile, "le, route", RATE), "{{route}} " + name)
        for quantile, name in [(0.5, "P50"), (0.95, "P95"), (0.99, "P99")]
    ]
    return [
        timeseries_panel(
            "Request rate by route",
            "Requests answered per second, by route template.",
            [query(f"sum by (route) (rate({REQUESTS}{RATE}))", "{{route}}")],
            unit="reqps",
        ),
        timeseries_panel(
            "Error rate by route (5xx share)",
            "Share of each route's answers with a 5xx status; the dashed line is the SLO.",
            [query(error_share("route", RATE), "{{route}}")],
            unit="percentunit",
            limits=gate(ERROR_LIMIT),
        ),
        timeseries_panel(
            "Latency by route (P50, P95, P99)",
            "Response time percentiles per route from the duration histogram; dashed: 500 ms.",
            percentiles,
            unit="s",
            width=24,
            height=10,
            limits=gate(P95_LIMIT),
        ),
        timeseries_panel(
            "Answers by status class",
            "Requests answered per second by status class (2xx … 5xx).",
            [query(f"sum by (status) (rate({REQUESTS}{RATE}))", "{{status}}")],
            unit="reqps",
            stacked=True,
        ),
        timeseries_panel(
            "Unhandled exceptions by route",
            "Requests per second that ended in an unhandled exception (0 when there were none).",
            [query(f"sum by (route) (rate({EXCEPTIONS}{RATE})) or on() vector(0)", "{{route}}")],
            unit="reqps",
        ),
    ]


def capacity_and_resources() -> list[PanelBuilder]:
    cpu_idle = f'rate(node_cpu_seconds_total{{job="node",mode="idle"}}{RATE})'
    return [
        timeseries_panel(
            "Requests in progress over time",
            "Requests being served at the scrape, all workers together.",
            [query('sum(valeo_http_requests_in_progress{job="valeo"})', "in progress")],
            unit="short",
        ),
        timeseries_panel(
            "Database pool connections",
            "Connections the pool holds open, and those checked out by requests.",
            [
                query('sum(valeo_db_pool_connections_open{job="valeo"})', "open"),
                query('sum(valeo_db_pool_connections_in_use{job="valeo"})', "in use"),
            ],
            unit="short",
        ),
        timeseries_panel(
            "Host CPU busy",
            "Share of CPU time not idle, all cores of the host (node exporter).",
            [query(f"1 - avg by (instance) ({cpu_idle})", "{{instance}}")],
            unit="percentunit",
            width=6,
            limits=thresholds(GREEN, (0.7, ORANGE), (0.9, RED)),
        ),
        timeseries_panel(
            "Host memory used",
            "Share of the host's memory not available to new processes (node exporter).",
            [
                query(
                    '1 - sum by (instance) (node_memory_MemAvailable_bytes{job="node"})'
                    ' / sum by (instance) (node_memory_MemTotal_bytes{job="node"})',
                    "{{instance}}",
                )
            ],
            unit="percentunit",
            width=6,
            limits=thresholds(GREEN, (0.8, ORANGE), (0.9, RED)),
        ),
        timeseries_panel(
            "ERP process CPU",
            "CPU time of the ERP process per second (1 = one core). Only with one worker: "
            "multiprocess mode has no process metrics.",
            [
                query(
                    f'sum by (instance) (rate(process_cpu_seconds_total{{job="valeo"}}{RATE}))',
                    "{{instance}}",
                )
            ],
            unit="percentunit",
            width=6,
        ),
        timeseries_panel(
            "ERP process memory (RSS)",
            "Resident memory of the ERP process. Only with one worker (see ERP process CPU).",
            [
                query(
                    'sum by (instance) (process_resident_memory_bytes{job="valeo"})',
                    "{{instance}}",
                )
            ],
            unit="bytes",
            width=6,
        ),
    ]


def business() -> list[PanelBuilder]:
    return [
        timeseries_panel(
            "Journal postings",
            "Journal entries posted per second (reversals included), counted on commit.",
            [query(f'sum(rate(valeo_journal_postings_total{{job="valeo"}}{RATE}))', "postings")],
            unit="ops",
            width=8,
        ),
        timeseries_panel(
            "Stock movements by kind",
            "Stock ledger movements per second, by kind, counted on commit.",
            [
                query(
                    f'sum by (kind) (rate(valeo_stock_movements_total{{job="valeo"}}{RATE}))'
                    " or on() vector(0)",
                    "{{kind}}",
                )
            ],
            unit="ops",
            width=8,
            stacked=True,
        ),
        timeseries_panel(
            "Failed logins by reason",
            "Refused logins per second: invalid_credentials or throttled (locked out).",
            [
                query(
                    f'sum by (reason) (rate(valeo_login_failures_total{{job="valeo"}}{RATE}))'
                    " or on() vector(0)",
                    "{{reason}}",
                )
            ],
            unit="ops",
            width=8,
            stacked=True,
        ),
    ]


def service_dashboard() -> Dashboard:
    """The ERP as its operators see it: is it answering, fast, without errors, and how busy."""
    dashboard = (
        Dashboard("Valeo · ERP service")
        .uid(UID)
        .description("RED metrics per route, capacity, resources and business counters.")
        .tags(["valeo", "erp", "service"])
        .time("now-1h", "now")
        .refresh("30s")
        .timezone("browser")
        .tooltip(DashboardCursorSync.CROSSHAIR)
        .with_variable(datasource_variable())
        .with_variable(route_variable())
    )
    sections = [
        ("Overview", overview()),
        ("Requests by route (rate, errors, duration)", red_by_route()),
        ("Capacity and resources", capacity_and_resources()),
        ("Business", business()),
    ]
    for title, panels in sections:
        dashboard = dashboard.with_row(Row(title))
        for panel in panels:
            dashboard = dashboard.with_panel(panel)
    return dashboard
