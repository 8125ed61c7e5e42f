"""From py-spy's speedscope file to the hottest functions: a hand-made profile, known counts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from load import profile, run
from load.profile import ROOT, hot_functions, short_path
from quality.load_report import profile_sections

SITE = "/venv/lib/python3.11/site-packages"
STDLIB = "/usr/lib/python3.11"
PROCESS, MAIN, FIB, HELPER, RUN, WAIT = range(6)
FRAMES = [
    {"name": 'process 7:"python -m erp serve"', "file": "", "line": 0, "col": None},
    {"name": "main", "file": f"{ROOT}/erp/app.py", "line": 3, "col": None},
    {"name": "fib", "file": f"{ROOT}/erp/maths.py", "line": 10, "col": None},
    {"name": "Helper.call", "file": f"{SITE}/lib/helper.py", "line": 7, "col": None},
    {"name": "Thread.run", "file": f"{STDLIB}/threading.py", "line": 975, "col": None},
    {"name": "Condition.wait", "file": f"{STDLIB}/threading.py", "line": 295, "col": None},
]
# Stacks are outermost first. Thread A: fib recursing, a library call, main itself.
THREAD_A = [[PROCESS, MAIN, FIB, FIB, FIB]] * 3 + [[PROCESS, MAIN, HELPER]] * 2 + [[PROCESS, MAIN]]
# Thread B: mostly waiting for work (not counted), once running its own frame.
THREAD_B = [[PROCESS, RUN, WAIT]] * 4 + [[PROCESS, RUN]]


def speedscope() -> dict[str, Any]:
    def sampled(name: str, samples: list[list[int]]) -> dict[str, Any]:
        return {
            "type": "sampled",
            "name": name,
            "unit": "seconds",
            "samples": samples,
            "weights": [0.01] * len(samples),
        }

    return {
        "shared": {"frames": FRAMES},
        "profiles": [sampled("Thread A", THREAD_A), sampled("Thread B", THREAD_B)],
    }


def test_self_and_total_samples_count_a_recursive_function_once_per_sample() -> None:
    samples, waiting, table = hot_functions(speedscope())
    assert (samples, waiting) == (7, 4)
    rows = {f.function: (f.self_samples, f.total_samples) for f in table}
    assert rows == {"fib": (3, 3), "Helper.call": (2, 2), "main": (1, 6), "Thread.run": (1, 1)}
    fib = table[0]
    assert (fib.function, fib.location, fib.self_pct, fib.total_pct) == (
        "fib",
        "erp/maths.py:10",
        42.86,
        42.86,
    )


def test_the_table_is_ordered_by_self_then_total() -> None:
    _, _, table = hot_functions(speedscope())
    assert [f.function for f in table] == ["fib", "Helper.call", "main", "Thread.run"]


def test_waiting_threads_and_process_frames_are_no_functions() -> None:
    _, _, table = hot_functions(speedscope())
    names = {f.function for f in table}
    assert "Condition.wait" not in names
    assert not any(name.startswith("process") for name in names)


def test_the_summary_cuts_the_top_and_lists_the_projects_own_code_by_total(
    tmp_path: Path,
) -> None:
    path = tmp_path / profile.SPEEDSCOPE
    path.write_text(json.dumps(speedscope()), encoding="utf-8")
    summary = profile.summarize(path, top=2)
    assert summary["speedscope"] == profile.SPEEDSCOPE
    assert [r["function"] for r in summary["by_self"]] == ["fib", "Helper.call"]
    assert [r["function"] for r in summary["own_by_total"]] == ["main", "fib"]
    assert summary["own_by_total"][0]["total_pct"] == 85.71
    printed = profile.format_table(summary)
    assert "7 samples (4 more waiting, not counted)" in printed
    assert "  42.86   42.86  fib (erp/maths.py:10)" in printed


@pytest.mark.parametrize(
    ("path", "short"),
    [
        (f"{ROOT}/erp/sales/service.py", ("erp/sales/service.py", True)),
        (f"{ROOT}/.venv{SITE[5:]}/sqlalchemy/orm/query.py", ("sqlalchemy/orm/query.py", False)),
        (f"{STDLIB}/asyncio/runners.py", ("asyncio/runners.py", False)),
        ("/srv/script.py", ("/srv/script.py", False)),
        ("<string>", ("<string>", False)),
    ],
)
def test_paths_are_shortened_and_the_projects_own_recognised(
    path: str, short: tuple[str, bool]
) -> None:
    assert short_path(path) == short


def test_the_load_runner_profiles_only_when_asked() -> None:
    assert run.parser({}).parse_args([]).profile is False
    assert run.parser({}).parse_args(["--profile"]).profile is True


def test_the_report_lists_the_hottest_functions_and_links_the_profile(tmp_path: Path) -> None:
    path = tmp_path / profile.SPEEDSCOPE
    path.write_text(json.dumps(speedscope()), encoding="utf-8")
    summary = {"profile": profile.summarize(path)}
    assert profile_sections({}, Path("load")) == {}
    html = profile_sections(summary, Path("load"))["Load: hottest functions"]
    assert f'href="load/{profile.SPEEDSCOPE}"' in html
    assert "https://www.speedscope.app" in html
    assert "<code>erp/maths.py:10</code>" in html
    assert "7 samples" in html
