"""Samples the server's processes once a second: CPU seconds and resident memory.

CPU is counted per process (user + system) and summed as deltas, so a worker that exits
never makes the total go backwards; a process that appears after the first sample (a
restarted worker) counts from its own start.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import psutil


@dataclass(frozen=True)
class Sample:
    t: float  # Unix time: the same clock as Locust's stats history
    cpu_seconds: float  # server CPU time consumed since the sampler started
    rss_bytes: int  # resident memory of all server processes
    processes: int


class ServerSampler:
    """``with ServerSampler(pid) as sampler: …``; then ``sampler.samples``."""

    def __init__(self, pid: int, interval: float = 1.0) -> None:
        self.root = psutil.Process(pid)
        self.interval = interval
        self.samples: list[Sample] = []
        self._cpu_by_pid: dict[int, float] = {}
        self._cpu_total = 0.0
        self._baseline_taken = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="server-sampler", daemon=True)

    def _processes(self) -> list[psutil.Process]:
        try:
            return [self.root, *self.root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def sample(self) -> Sample:
        rss, alive = 0, 0
        for process in self._processes():
            try:
                with process.oneshot():
                    times = process.cpu_times()
                    memory = process.memory_info().rss
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            used = times.user + times.system
            before = self._cpu_by_pid.get(process.pid, 0.0 if self._baseline_taken else used)
            self._cpu_total += max(0.0, used - before)
            self._cpu_by_pid[process.pid] = used
            rss, alive = rss + memory, alive + 1
        return Sample(
            t=round(time.time(), 3),
            cpu_seconds=round(self._cpu_total, 4),
            rss_bytes=rss,
            processes=alive,
        )

    def _loop(self) -> None:
        next_at = time.monotonic()
        while not self._stop.is_set():
            self.samples.append(self.sample())
            next_at += self.interval
            self._stop.wait(max(0.0, next_at - time.monotonic()))

    def __enter__(self) -> ServerSampler:
        self.sample()  # baseline: CPU spent before the load does not count
        self._baseline_taken = True
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.samples.append(self.sample())
