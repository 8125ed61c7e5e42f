"""Gate grammar and evaluation, table-driven."""

import pytest

from quality.gates import (
    GateSyntaxError,
    Measurement,
    evaluate,
    evaluate_all,
    headroom,
    parse_gate,
    parse_gates,
    tagged,
)

COVERAGE = "coverage{suite:unit,layer:backend}"
MEASURED = {
    "coverage{layer:backend,suite:unit}": Measurement("%", {"coverage": 86.0}, source="cov.json"),
    "http_req_duration": Measurement("ms", {"p(95)": 420.0, "avg": 90.0}, source="stats.csv"),
    "http_req_duration{route:GET /api/v1/customers}": Measurement("ms", {"p(95)": 610.0}),
    "http_req_failed": Measurement("%", {"rate": 0.05}),
    "tests{suite:unit}": Measurement("", {"failures": 0.0}),
    "coverage{suite:new-code}": Measurement("%", note="no base: a fresh clone without history"),
}


@pytest.mark.parametrize(
    ("metric", "expression", "status", "actual", "room"),
    [
        (COVERAGE, "coverage >= 85%", "pass", 86.0, 1.0),
        (COVERAGE, "coverage >= 86%", "pass", 86.0, 0.0),
        (COVERAGE, "coverage > 86%", "fail", 86.0, 0.0),
        (COVERAGE, "coverage >= 90%", "fail", 86.0, -4.0),
        ("http_req_duration", "p(95) < 500ms", "pass", 420.0, 80.0),
        ("http_req_duration", "p(95) < 0.4s", "fail", 420.0, -20.0),
        ("http_req_duration", "avg <= 90ms", "pass", 90.0, 0.0),
        ("http_req_duration{route:GET /api/v1/customers}", "p(95) < 500ms", "fail", 610.0, -110.0),
        ("http_req_failed", "rate < 0.1%", "pass", 0.05, 0.05),
        ("tests{suite:unit}", "failures == 0", "pass", 0.0, 0.0),
        ("tests{suite:unit}", "failures != 0", "fail", 0.0, 0.0),
    ],
)
def test_comparators_units_and_routes(
    metric: str, expression: str, status: str, actual: float, room: float
) -> None:
    result = evaluate(parse_gate(metric, expression), MEASURED)
    assert (result.status, result.actual) == (status, actual)
    assert result.headroom == pytest.approx(room)


@pytest.mark.parametrize(
    ("metric", "expression", "detail"),
    [
        ("server_cpu", "avg < 70%", "nothing measured"),
        ("http_req_duration", "p(99) < 900ms", "has no p(99)"),
        ("http_req_failed", "rate < 10ms", "is in '%'"),
    ],
)
def test_missing_or_mismatched_data_fails_as_no_data(
    metric: str, expression: str, detail: str
) -> None:
    result = evaluate(parse_gate(metric, expression), MEASURED)
    assert result.status == "no-data"
    assert result.actual is None
    assert detail in result.detail


def test_no_base_is_reported_not_passed() -> None:
    result = evaluate(parse_gate("coverage{suite:new-code}", "coverage >= 90%"), MEASURED)
    assert result.status == "no-base"
    assert "no base" in result.detail


@pytest.mark.parametrize(
    ("metric", "expression"),
    [
        ("coverage", "coverage => 85%"),
        ("coverage", "85% <= coverage"),
        ("cov{suite}", "x < 1"),
        ("coverage", "coverage >= 85 percent"),
        ("Bad Name", "x < 1"),
    ],
)
def test_syntax_errors_are_refused(metric: str, expression: str) -> None:
    with pytest.raises(GateSyntaxError):
        parse_gate(metric, expression)


def test_declarations_take_one_or_many_expressions_and_sort_tags() -> None:
    specs = parse_gates(
        {
            "http_req_duration": ["p(95) < 500ms", "avg < 200ms"],
            "coverage{suite:unit,layer:web}": "coverage >= 80%",
        }
    )
    assert [s.key for s in specs] == [
        "http_req_duration",
        "http_req_duration",
        "coverage{layer:web,suite:unit}",
    ]
    assert specs[0].threshold == 500.0


def test_headroom_signs() -> None:
    assert headroom("<", 400, 500) == 100
    assert headroom(">=", 80, 85) == -5
    assert headroom("==", 2, 0) == -2


ROUTES = dict(
    tagged("http_req_duration", {"suite": "load", "route": route}, "ms", {"p(95)": p95}, "s.json")
    for route, p95 in (("GET /a", 40.0), ("GET /b/{id}", 640.0), ("POST /c", 120.0))
)
ROUTES["http_req_duration{suite:load}"] = Measurement("ms", {"p(95)": 90.0})


def test_a_star_tag_judges_every_route_and_names_the_one_over_budget() -> None:
    spec = parse_gate("http_req_duration{suite:load,route:*}", "p(95) < 500ms")
    results = evaluate_all([spec], ROUTES)
    assert [(r.gate, r.status) for r in results] == [
        ("http_req_duration{route:GET /a,suite:load}: p(95) < 500ms", "pass"),
        ("http_req_duration{route:GET /b/{id},suite:load}: p(95) < 500ms", "fail"),
        ("http_req_duration{route:POST /c,suite:load}: p(95) < 500ms", "pass"),
    ]
    assert {r.declared for r in results} == {spec.label}


def test_a_star_tag_matching_nothing_fails_with_no_data() -> None:
    spec = parse_gate("http_req_duration{suite:other,route:*}", "p(95) < 500ms")
    (result,) = evaluate_all([spec], ROUTES)
    assert result.status == "no-data"
    assert "nothing measured matches" in result.detail


def test_a_star_gate_ignores_measurements_with_other_tags() -> None:
    # The suite-wide figure has no route tag: it is not one of the routes.
    spec = parse_gate("http_req_duration{suite:load,route:*}", "p(95) < 500ms")
    assert len(evaluate_all([spec], ROUTES)) == 3
    plain = parse_gate("http_req_duration{suite:load}", "p(95) < 100ms")
    assert [r.actual for r in evaluate_all([plain], ROUTES)] == [90.0]
