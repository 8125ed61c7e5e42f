"""py-spy on a real process: busy functions on two threads come out on top, idle ones not at all."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from load import profile

WORKLOAD = """
import threading, time

def valeo_hot_main():
    n = 0
    while True:
        n = (n * 31 + 7) % 1000003

def valeo_hot_thread():
    n = 0
    while True:
        n = (n * 17 + 3) % 1000033

def valeo_idle_sleeping():
    time.sleep(600)

def valeo_idle_waiting():
    threading.Event().wait()

for target in (valeo_hot_thread, valeo_idle_sleeping, valeo_idle_waiting):
    threading.Thread(target=target, daemon=True).start()
valeo_hot_main()
"""


def py_spy_available() -> bool:
    try:
        profile.py_spy()
    except RuntimeError:
        return False
    return True


@pytest.mark.skipif(not py_spy_available(), reason="py-spy is not installed")
def test_the_busy_functions_of_both_threads_are_the_hottest(tmp_path: Path) -> None:
    workload = subprocess.Popen([sys.executable, "-c", WORKLOAD])
    try:
        time.sleep(0.3)  # the threads started
        with profile.Profiler(workload.pid, tmp_path):
            time.sleep(2)
    finally:
        workload.kill()
        workload.wait()
    summary = profile.summarize(tmp_path / profile.SPEEDSCOPE)
    assert summary["samples"] > 50, (tmp_path / profile.LOG).read_text()
    top = [row["function"] for row in summary["by_self"]]
    assert set(top[:2]) == {"valeo_hot_main", "valeo_hot_thread"}, summary["by_self"]
    assert summary["by_self"][0]["self_pct"] > 30
    locations = {row["function"]: row["location"] for row in summary["by_self"]}
    assert locations["valeo_hot_main"] == "<string>:4"  # the function's first line
    assert not any(name.startswith("valeo_idle") for name in top)


def test_a_profiler_that_cannot_attach_fails_at_once(tmp_path: Path) -> None:
    if not py_spy_available():
        pytest.skip("py-spy is not installed")
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="py-spy exited"):
        profile.Profiler(2**22 + 12345, tmp_path).start()  # above any pid in use here
    assert time.monotonic() - started < 5
