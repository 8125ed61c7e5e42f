"""The load runner's pieces that need no server: options, cores, Locust's command, samples."""

from __future__ import annotations

import argparse
import itertools
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from load import run, volume
from load.sampler import ServerSampler

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(("text", "seconds"), [("90", 90), ("45s", 45), ("2m", 120), ("1h", 3600)])
def test_durations(text: str, seconds: int) -> None:
    assert run.seconds(text) == seconds


@pytest.mark.parametrize("text", ["", "1.5m", "10 minutes", "-5s"])
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        run.seconds(text)


def test_options_default_to_the_declared_load_and_can_be_overridden() -> None:
    declared = {
        "users": 20,
        "rate_per_user": 4.0,
        "duration": "60s",
        "volume_customers": 5000,
        "volume_articles": 800,
        "volume_orders": 3000,
    }
    args = run.parser(declared).parse_args(["--users", "40", "--orders", "10", "--locust", "/x"])
    assert (args.users, args.rate_per_user, args.duration, args.customers) == (40, 4.0, 60, 5000)
    assert (args.articles, args.orders) == (800, 10)


def test_a_soak_is_the_declared_load_for_longer_and_replaces_the_duration() -> None:
    args = run.parser({"users": 20, "duration": "60s"}).parse_args(["--soak", "10m"])
    assert (args.soak, args.duration, args.users) == (600, 600, 20)
    assert "--run-time 600s" in " ".join(run.locust_argv(args, "http://x", Path("/out/locust")))
    assert run.parser({"duration": "60s"}).parse_args([]).soak is None


def test_a_soak_and_a_duration_cannot_both_be_given() -> None:
    with pytest.raises(SystemExit):
        run.parser({}).parse_args(["--soak", "10m", "--duration", "5m"])


def test_locust_gets_the_declared_load_and_its_processes() -> None:
    args = run.parser({}).parse_args(
        ["--users", "8", "--rate-per-user", "2", "--duration", "30s", "--processes", "2"]
    )
    args.locust = "/venv/bin/locust"
    argv = run.locust_argv(args, "http://127.0.0.1:9", Path("/out/locust"))
    joined = " ".join(argv)
    assert "--users 8" in joined
    assert "--rate-per-user 2.0" in joined
    assert "--run-time 30s" in joined
    assert "--processes 2" in joined
    assert "--exit-code-on-error 0" in joined


def test_the_server_gets_its_own_cores_when_there_are_cores_to_spare() -> None:
    available = sorted(os.sched_getaffinity(0))
    server, generator, cores = run.split_cores(1)
    if len(available) > 1:
        assert server == frozenset(available[:1])
        assert generator == frozenset(available[1:])
        assert cores == 1
    else:
        assert (server, generator, cores) == (None, None, 1)
    assert run.split_cores(len(available))[0] is None  # nothing left for Locust: no pinning


def test_sampler_measures_a_busy_process_and_its_children() -> None:
    busy = "import time\nend = time.process_time() + 0.6\nwhile time.process_time() < end: pass"
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import subprocess, sys; subprocess.run([sys.executable, '-c', {busy!r}])",
        ]
    )
    try:
        with ServerSampler(parent.pid, interval=0.2) as sampler:
            parent.wait(timeout=30)
    finally:
        parent.kill()
    assert sampler.samples
    assert max(s.processes for s in sampler.samples) == 2  # the child was found
    assert 0.55 < sampler.samples[-1].cpu_seconds < 5  # all of the child's CPU counted
    assert all(b.cpu_seconds >= a.cpu_seconds for a, b in itertools.pairwise(sampler.samples))


def test_the_template_is_rebuilt_when_the_volume_or_the_code_changes(tmp_path: Path) -> None:
    base = volume.Volume(customers=100, articles=50, orders=200)
    changed = [replace(base, customers=200), replace(base, articles=60), replace(base, orders=9)]
    fingerprints = {volume.code_fingerprint(ROOT, v) for v in (base, *changed)}
    assert len(fingerprints) == 4
    assert volume.code_fingerprint(ROOT, base) == volume.code_fingerprint(ROOT, base)


def test_the_seed_gets_the_whole_volume() -> None:
    assert volume.Volume(5000, 800, 3000).seed_args() == [
        "--customers", "5000", "--articles", "800", "--orders", "3000"
    ]  # fmt: skip
