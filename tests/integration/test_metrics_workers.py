"""``/metrics`` under ``python -m erp serve --workers 2``: every worker's requests, counted once.

Without multiprocess mode each worker would answer ``/metrics`` from its own memory: with
both workers serving, the figure would be one worker's share, never exactly N.
"""

from __future__ import annotations

import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import pytest
from prometheus_client.mmap_dict import MmapedDict, mmap_key
from prometheus_client.multiprocess import MultiProcessCollector

from quality.config import load
from quality.live_server import LiveServer

ROOT = Path(__file__).resolve().parents[2]
ROUTE = "/health/live"
BATCH = 100
STALE_PID = 999_999_999  # above any pid_max: never a live process
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def get(url: str) -> tuple[int, str]:
    # A fresh connection every time: the workers share the listening socket, so requests
    # spread over them only connection by connection.
    with urllib.request.urlopen(url, timeout=10) as reply:  # noqa: S310  (loopback only)
        return reply.status, reply.read().decode()


def send(server: LiveServer, count: int) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda _: get(server.url + ROUTE)[0], range(count)))
    assert statuses == [200] * count


def served(path: Path) -> float:
    """The requests to ROUTE one worker's counter file holds."""
    metrics = MultiProcessCollector.merge([str(path)], accumulate=False)  # type: ignore[no-untyped-call]
    return sum(
        float(s.value)
        for metric in metrics
        for s in metric.samples
        if s.name == "valeo_http_requests_total" and s.labels["route"] == ROUTE
    )


def worker_pids(directory: Path, server: LiveServer) -> set[int]:
    assert server.process is not None
    pids = {int(path.stem.rsplit("_", 1)[1]) for path in directory.glob("counter_*.db")}
    return pids - {server.process.pid, STALE_PID}  # the supervisor imports the app too


def send_until_both_workers_served(server: LiveServer, directory: Path) -> int:
    # The server is ready once one worker is; the other may still be starting (seconds on a
    # busy machine), so batches go on until both have served, for up to a minute.
    sent, deadline = 0, time.monotonic() + 60
    while True:
        send(server, BATCH)
        sent += BATCH
        pids = worker_pids(directory, server)
        if len(pids) == 2 and all(served(directory / f"counter_{pid}.db") for pid in pids):
            return sent
        if time.monotonic() > deadline:
            raise AssertionError(f"one worker served all {sent} requests: {pids}")
        time.sleep(0.2)


def reported(server: LiveServer) -> float:
    """ROUTE's requests in /metrics, summed over methods and status classes."""
    status, text = get(server.url + "/metrics")
    assert status == 200
    total = 0.0
    for line in text.splitlines():
        if line.startswith("valeo_http_requests_total{") and f'route="{ROUTE}"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


def plant_stale_counter(directory: Path, value: float) -> Path:
    """What a previous run left behind: its requests must not be added to this run's."""
    path = directory / f"counter_{STALE_PID}.db"
    key = mmap_key(
        "valeo_http_requests",
        "valeo_http_requests_total",
        ["route", "method", "status"],
        [ROUTE, "GET", "2xx"],
        "stale",
    )
    store = MmapedDict(str(path))  # type: ignore[no-untyped-call]
    store.write_value(key, value, 0.0)  # type: ignore[no-untyped-call]
    store.close()  # type: ignore[no-untyped-call]
    return path


def test_two_workers_count_every_request_exactly_once(tmp_path: Path) -> None:
    directory = tmp_path / "prometheus"
    directory.mkdir()
    stale = plant_stale_counter(directory, 1000)
    server = LiveServer(
        load(ROOT),
        tmp_path,
        seed=False,
        serve_args=("--workers", "2"),
        extra_env={MULTIPROC_ENV: str(directory)},
    )
    with server:
        assert not stale.exists()
        sent = send_until_both_workers_served(server, directory)
        workers = worker_pids(directory, server)
        shares = [served(directory / f"counter_{pid}.db") for pid in workers]
        assert sum(shares) == sent
        assert reported(server) == sent
    assert server.process is not None
    assert server.process.returncode in (0, -15)
    # Each worker dropped its live gauges (requests in progress, pool) on its way out.
    assert not [p for p in workers if (directory / f"gauge_livesum_{p}.db").exists()]
    assert all((directory / f"counter_{p}.db").exists() for p in workers)


def test_serve_makes_a_directory_for_several_workers_and_removes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(MULTIPROC_ENV, raising=False)
    server = LiveServer(load(ROOT), tmp_path, seed=False, serve_args=("--workers", "2"))
    with server:
        assert server.process is not None
        children = psutil.Process(server.process.pid).children(recursive=True)
        directories = {child.environ().get(MULTIPROC_ENV) for child in children}
        directories.discard(None)
        assert len(directories) == 1  # one directory, shared by the workers
        directory = Path(str(directories.pop()))
        sent = send_until_both_workers_served(server, directory)
        assert reported(server) == sent
    assert not directory.exists()
