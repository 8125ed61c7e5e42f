"""The benchmark tools' pieces that need no server: wrk's report, the ratio, the loud errors,
percentiles, and orders that draw stock evenly."""

from __future__ import annotations

import argparse
import random
from collections import Counter

import httpx
import pytest

from load import bench, flows

CLEAN = """\
Running 5s test @ http://127.0.0.1:41234/hello
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     4.77ms    1.71ms  28.17ms   84.50%
    Req/Sec     6.81k   451.99     7.82k    70.00%
  Latency Distribution
     50%  874.00us
     75%    4.96ms
     90%    6.08ms
     99%    1.02s
  33549 requests in 5.00s, 5.08MB read
Requests/sec:   6709.33
Transfer/sec:      1.04MB
"""
WITH_ERRORS = """\
Running 2s test @ http://127.0.0.1:41234/api/v1/customers?limit=20
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    61.20ms   20.01ms 300.00ms   70.00%
    Req/Sec   520.00     40.00   600.00     70.00%
  Latency Distribution
     50%   58.00ms
     75%   70.00ms
     90%   90.00ms
     99%  180.00ms
  1040 requests in 2.00s, 1.20MB read
  Socket errors: connect 0, read 3, write 0, timeout 7
  Non-2xx or 3xx responses: 12
Requests/sec:    519.50
Transfer/sec:    614.40KB
"""


def test_a_clean_report_is_parsed_with_its_units() -> None:
    result = bench.parse_wrk(CLEAN)
    assert result.requests_per_s == 6709.33
    assert (result.requests, result.duration_s) == (33549, 5.0)
    assert result.latency_ms == {"50": 0.874, "75": 4.96, "90": 6.08, "99": 1020.0}
    assert result.errors == 0
    assert result.problems() == ""


def test_non_2xx_responses_and_socket_errors_are_counted() -> None:
    result = bench.parse_wrk(WITH_ERRORS)
    assert result.non_2xx == 12
    assert result.socket_errors == {"connect": 0, "read": 3, "write": 0, "timeout": 7}
    assert result.errors == 22
    assert result.problems() == (
        "12 non-2xx/3xx responses, 3 socket read errors, 7 socket timeout errors"
    )


def test_output_that_is_not_a_wrk_report_is_refused() -> None:
    with pytest.raises(bench.BenchError, match="not a wrk report"):
        bench.parse_wrk("unable to connect to 127.0.0.1:1 Connection refused")


def arguments() -> argparse.Namespace:
    return bench.parser().parse_args(["--customers", "3", "--articles", "2", "--orders", "1"])


def test_the_ratio_is_of_the_medians_and_errors_make_the_run_not_ok(
    capsys: pytest.CaptureFixture[str],
) -> None:
    clean, failing = bench.parse_wrk(CLEAN), bench.parse_wrk(WITH_ERRORS)
    fast = [clean, clean, bench.WrkResult(100.0, 200, 2.0, {"50": 1.0})]
    summary = bench.report(
        arguments(),
        {"bare": "/hello", "erp": "/api/v1/customers?limit=20"},
        {"bare": clean, "erp": clean},
        {"bare": fast, "erp": [failing, failing, failing]},
        frozenset({0}),
        frozenset({1}),
    )
    assert summary["endpoints"]["bare"]["median_rps"] == 6709.3
    assert summary["ratio"] == round(519.5 / 6709.3, 4)
    assert summary["ok"] is False
    assert len(summary["problems"]) == 3
    assert summary["cores"] == {"server": [0], "wrk": [1]}
    bench.print_table(summary)
    output = capsys.readouterr()
    assert "ratio ERP/bare" in output.out
    assert "ERROR: erp round 1: 12 non-2xx/3xx responses" in output.err


def test_volume_options_default_to_the_load_suite() -> None:
    args = bench.parser().parse_args([])
    assert args.customers > 0
    assert (args.database, args.path, args.connections) == (
        "sqlite",
        "/api/v1/customers?limit=20",
        32,
    )


@pytest.mark.parametrize(
    ("share", "expected"), [(0.5, 50.0), (0.95, 95.0), (0.0, 1.0), (1.0, 100.0)]
)
def test_nearest_rank_percentiles(share: float, expected: float) -> None:
    assert flows.percentile([float(v) for v in range(100, 0, -1)], share) == expected


def test_no_values_have_no_percentile() -> None:
    assert flows.percentile([], 0.5) is None


def test_orders_draw_one_unit_of_each_article_in_turn() -> None:
    shop = flows.Catalogue(customers=[1], articles=list(range(1, 11)), warehouse_id=1)
    rng = random.Random(7)  # noqa: S311  (reproducible, not security)
    drawn: Counter[int] = Counter()
    for _ in range(200):
        lines = shop.lines(rng)
        assert 1 <= len(lines) <= 3
        assert {line["quantity"] for line in lines} == {1}
        drawn.update(line["article_id"] for line in lines)
    assert max(drawn.values()) - min(drawn.values()) <= 1  # stock is drawn evenly


def test_a_failed_step_is_named_by_its_problem_title() -> None:
    conflict = httpx.Response(
        409,
        json={"title": "Conflict", "status": 409, "detail": "not enough stock of VOL-00001"},
        headers={"content-type": "application/problem+json"},
    )
    assert flows.problem(conflict) == ("Conflict", "not enough stock of VOL-00001")
    crash = httpx.Response(502, text="<html>bad gateway</html>")
    assert flows.problem(crash) == ("Bad Gateway", "<html>bad gateway</html>")
