"""The Grafana dashboards (ops/grafana): committed JSON equal to the generator's output, every
panel on the ``datasource`` variable with a query, only metrics that exist, stable uids,
variables that substitute, and a ``--check`` that fails when a file differs."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from ops.grafana import dashboards, quality, service
from ops.grafana.dashboards import PanelQuery, metric_names, substitute
from ops.grafana.panels import DATASOURCE_UID

ROOT = Path(__file__).resolve().parents[2]
GRAFANA = ROOT / "ops" / "grafana"

# The metrics the dashboards may read: the ERP (erp/telemetry/metrics_core.py plus
# prometheus_client's process collector), the node exporter and the quality publisher
# (quality/publish.py).
ERP_METRICS = {
    "valeo_http_requests_total",
    "valeo_http_request_duration_seconds_bucket",
    "valeo_http_exceptions_total",
    "valeo_http_requests_in_progress",
    "valeo_db_pool_connections_open",
    "valeo_db_pool_connections_in_use",
    "valeo_journal_postings_total",
    "valeo_stock_movements_total",
    "valeo_login_failures_total",
    "valeo_build_info",
}
PROCESS_METRICS = {"process_cpu_seconds_total", "process_resident_memory_bytes"}
NODE_METRICS = {
    "node_cpu_seconds_total",
    "node_memory_MemAvailable_bytes",
    "node_memory_MemTotal_bytes",
}
QUALITY_METRICS = {
    "valeo_quality_run_success",
    "valeo_quality_run_duration_seconds",
    "valeo_quality_run_last_timestamp_seconds",
    "valeo_quality_run_info",
    "valeo_quality_gate_passed",
    "valeo_quality_gates_failed",
    "valeo_quality_coverage_ratio",
    "valeo_quality_tests",
    "valeo_quality_suite_duration_seconds",
    "valeo_quality_load_p95_seconds",
    "valeo_quality_load_error_ratio",
    "valeo_quality_contract_failures",
    "valeo_quality_critical_paths_ratio",
}
CONTRACT = ERP_METRICS | PROCESS_METRICS | NODE_METRICS | QUALITY_METRICS
DATASOURCE_REF = {"type": "prometheus", "uid": "${datasource}"}

GENERATED = dashboards.dashboards_json()
BY_UID = {dashboard["uid"]: dashboard for dashboard in GENERATED}
QUERIES = [query for dashboard in GENERATED for query in dashboards.panel_queries(dashboard)]


def query_id(query: PanelQuery) -> str:
    return f"{query.dashboard_uid}:{query.title}:{query.ref_id}"


def panel(uid: str, title: str) -> dict[str, Any]:
    found = [p for p in dashboards.iter_panels(BY_UID[uid]) if p["title"] == title]
    assert len(found) == 1, f"{uid}: {title}"
    return dict(found[0])


def steps(config: dict[str, Any]) -> list[tuple[float | None, str]]:
    return [(step["value"], step["color"]) for step in config["thresholds"]["steps"]]


# ---------------------------------------------------------------------------------------------
# The files and the check


def test_the_committed_json_equals_the_generators_output() -> None:
    assert dashboards.check() == [], "run: python -m ops.grafana.dashboards"
    for name, text in dashboards.generate().items():
        assert (dashboards.DASHBOARD_DIR / name).read_text(encoding="utf-8") == text


def test_the_output_is_stable_sorted_json_with_a_final_newline() -> None:
    first, second = dashboards.generate(), dashboards.generate()
    assert first == second
    for text in first.values():
        assert text.endswith("}\n")
        canonical = json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False)
        assert text == canonical + "\n"


def test_the_check_names_a_changed_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert dashboards.main(["--directory", str(tmp_path)]) == 0
    assert dashboards.main(["--check", "--directory", str(tmp_path)]) == 0
    changed = tmp_path / "valeo-quality.json"
    data = json.loads(changed.read_text(encoding="utf-8"))
    data["panels"][1]["targets"][0]["expr"] = "valeo_quality_run_success"
    changed.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    capsys.readouterr()

    assert dashboards.check(tmp_path) == [changed]
    assert dashboards.main(["--check", "--directory", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "valeo-quality.json: differs" in err
    assert "valeo-service.json" not in err

    assert dashboards.main(["--directory", str(tmp_path)]) == 0  # regenerating repairs it
    assert dashboards.check(tmp_path) == []


def test_the_check_names_missing_and_stray_files(tmp_path: Path) -> None:
    dashboards.write(tmp_path)
    (tmp_path / "valeo-service.json").unlink()
    stray = tmp_path / "hand-made.json"
    stray.write_text("{}\n", encoding="utf-8")
    assert dashboards.check(tmp_path) == [tmp_path / "valeo-service.json", stray]


def test_the_command_line_check_exits_1_for_a_changed_file(tmp_path: Path) -> None:
    dashboards.write(tmp_path)
    path = tmp_path / "valeo-service.json"
    path.write_text(path.read_text(encoding="utf-8").replace("P95", "P90"), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "ops.grafana.dashboards", "--check", "--directory", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "valeo-service.json" in done.stderr
    assert "valeo-quality.json" not in done.stderr


# ---------------------------------------------------------------------------------------------
# The dashboards


def test_the_uids_are_stable_and_name_the_files() -> None:
    assert set(BY_UID) == {"valeo-service", "valeo-quality"}
    assert sorted(dashboards.generate()) == ["valeo-quality.json", "valeo-service.json"]
    assert service.UID == "valeo-service"
    assert quality.UID == "valeo-quality"


@pytest.mark.parametrize("uid", ["valeo-service", "valeo-quality"])
def test_tags_time_refresh_and_variables(uid: str) -> None:
    dashboard = BY_UID[uid]
    assert "valeo" in dashboard["tags"]
    assert dashboard["time"]["to"] == "now"
    assert dashboard["time"]["from"].startswith("now-")
    assert dashboard["refresh"]
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    assert variables["datasource"]["current"]["value"] == DATASOURCE_UID
    selector = {"valeo-service": "route", "valeo-quality": "branch"}[uid]
    chosen = variables[selector]
    assert chosen["type"] == "query"
    assert chosen["query"].startswith("label_values(")
    assert chosen["query"].endswith(f", {selector})")
    assert chosen["datasource"] == DATASOURCE_REF
    assert (chosen["multi"], chosen["includeAll"], chosen["allValue"]) == (True, True, ".*")


@pytest.mark.parametrize("uid", ["valeo-service", "valeo-quality"])
def test_every_panel_reads_the_datasource_variable_and_has_a_query(uid: str) -> None:
    dashboard = BY_UID[uid]
    panels = list(dashboards.iter_panels(dashboard))
    assert len(panels) >= 10
    titles = [p["title"] for p in panels]
    assert len(titles) == len(set(titles)), "panel titles name the failures: keep them unique"
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for item in panels:
        assert item["datasource"] == DATASOURCE_REF, item["title"]
        targets = item["targets"]
        assert targets, item["title"]
        assert all(t["expr"] and t["datasource"] == DATASOURCE_REF for t in targets)
        ref_ids = [t["refId"] for t in targets]
        assert ref_ids == [chr(ord("A") + i) for i in range(len(targets))]


@pytest.mark.parametrize("query", QUERIES, ids=query_id)
def test_every_query_reads_only_metrics_that_exist(query: PanelQuery) -> None:
    names = metric_names(query.expr)
    assert names, query.expr
    assert names <= CONTRACT, f"unknown metrics {sorted(names - CONTRACT)} in {query.expr}"


def test_the_metric_check_catches_a_typo_and_skips_what_is_not_a_metric() -> None:
    typo = 'sum by (route) (rate(valeo_http_request_total{job="valeo"}[$__rate_interval]))'
    assert metric_names(typo) == {"valeo_http_request_total"}
    assert not metric_names(typo) <= CONTRACT
    expr = (
        'histogram_quantile(0.95, sum by (le, route) (rate(a_bucket{route=~"x|y"}[5m])))'
        " / ignoring(le) b_total or on() vector(0) and time() - c offset 1m > bool 1e3"
    )
    assert metric_names(expr) == {"a_bucket", "b_total", "c"}


def test_the_erp_and_quality_metrics_are_the_ones_the_code_exports() -> None:
    core = (ROOT / "erp" / "telemetry" / "metrics_core.py").read_text(encoding="utf-8")
    for name in ERP_METRICS:
        assert f'"{name.removesuffix("_bucket")}"' in core, name
    published = (ROOT / "quality" / "publish.py").read_text(encoding="utf-8")
    for name in QUALITY_METRICS:
        assert f'"{name}"' in published, name


@pytest.mark.parametrize("query", QUERIES, ids=query_id)
def test_substitute_leaves_no_variable(query: PanelQuery) -> None:
    expr = substitute(query.expr, dashboards.variables_for_test())
    assert "$" not in expr
    assert "[[" not in expr


def test_substitute_knows_grafanas_forms_and_refuses_unknown_variables() -> None:
    values = {"__rate_interval": "1m", "route": ".*", "branch": "main"}
    expr = 'x{route=~"$route",branch=~"${branch}",r=~"${route:regex}"}[$__rate_interval] [[route]]'
    assert substitute(expr, values) == 'x{route=~".*",branch=~"main",r=~".*"}[1m] .*'
    with pytest.raises(KeyError, match="instance"):
        substitute('up{instance=~"$instance"}', values)


def test_panel_queries_walk_collapsed_rows_and_keep_the_instant_flag() -> None:
    dashboard = {
        "uid": "u",
        "panels": [
            {"type": "stat", "title": "top", "targets": [{"refId": "A", "expr": "a"}]},
            {
                "type": "row",
                "title": "row",
                "panels": [
                    {
                        "type": "table",
                        "title": "nested",
                        "targets": [{"refId": "B", "expr": "b", "instant": True}],
                    }
                ],
            },
        ],
    }
    assert dashboards.panel_queries(dashboard) == [
        PanelQuery("u", "top", "A", "a", instant=False),
        PanelQuery("u", "nested", "B", "b", instant=True),
    ]


# ---------------------------------------------------------------------------------------------
# The limits drawn are the gates


def _gate(key: str) -> str:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    rules: list[str] = pyproject["tool"]["quality"]["gates"][key]
    assert len(rules) == 1
    return rules[0]


def _percent(rule: str) -> float:
    match = re.search(r"([\d.]+)%", rule)
    assert match, rule
    return round(float(match.group(1)) / 100, 6)


def test_the_limits_drawn_are_the_gates_of_pyproject() -> None:
    for (suite, layer), limit in quality.COVERAGE_GATES.items():
        rule = _gate(f"coverage{{suite:{suite},layer:{layer}}}")
        assert rule.startswith("coverage >= ")
        assert _percent(rule) == limit
    assert _gate("http_req_duration{suite:load}") == "p(95) < 500ms"
    assert quality.LOAD_P95_LIMIT == service.P95_LIMIT == 0.5
    assert _percent(_gate("http_req_failed{suite:load}")) == quality.LOAD_ERROR_LIMIT
    assert service.ERROR_LIMIT == quality.LOAD_ERROR_LIMIT


def test_the_service_stats_turn_red_at_the_slos() -> None:
    p95 = panel("valeo-service", "P95 latency")["fieldConfig"]["defaults"]
    assert steps(p95) == [(None, "green"), (0.5, "red")]
    assert p95["unit"] == "s"
    errors = panel("valeo-service", "Error rate (5xx share)")["fieldConfig"]["defaults"]
    assert steps(errors) == [(None, "green"), (0.001, "red")]
    assert errors["unit"] == "percentunit"


def test_gate_status_maps_1_to_pass_and_0_to_fail() -> None:
    table = panel("valeo-quality", "Gate status")
    (override,) = table["fieldConfig"]["overrides"]
    properties = {p["id"]: p["value"] for p in override["properties"]}
    (mapping,) = properties["mappings"]
    assert mapping["options"]["1"] == {"text": "pass", "color": "green", "index": 0}
    assert mapping["options"]["0"]["text"] == "fail"
    assert mapping["options"]["0"]["color"] == "red"


# ---------------------------------------------------------------------------------------------
# Provisioning


def test_provisioning_names_the_datasource_and_the_dashboards_folder() -> None:
    datasource = (GRAFANA / "provisioning" / "datasources" / "prometheus.yml").read_text(
        encoding="utf-8"
    )
    assert f"uid: {DATASOURCE_UID}\n" in datasource
    assert "type: prometheus\n" in datasource
    assert "url: http://127.0.0.1:9090\n" in datasource
    provider = (GRAFANA / "provisioning" / "dashboards" / "valeo.yml").read_text(encoding="utf-8")
    assert "type: file\n" in provider
    assert "path: ${VALEO_GRAFANA_DASHBOARDS}\n" in provider
    assert "VALEO_GRAFANA_DASHBOARDS" in (GRAFANA / "README.md").read_text(encoding="utf-8")
