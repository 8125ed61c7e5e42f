"""The steady Locust load a scenario runs under, and what its users saw.

Locust runs headless in its own virtual environment (``VALEO_LOCUST``, as for load/) for a
fixed time; ``resilience/locustfile.py`` appends one JSON line per request. A prober polls
``/health/ready`` ten times a second on the side, for recovery times and readiness flips.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
LOCUSTFILE = Path(__file__).with_name("locustfile.py")
# A request slower than this hung, as far as its user is concerned.
HANG_SECONDS = 5.0


@dataclass(frozen=True)
class Request:
    t: float  # start, Unix seconds
    ms: float
    route: str
    status: int  # 0: no response (connection refused or cut)
    problem: bool  # the body was application/problem+json
    error: str | None

    @property
    def end(self) -> float:
        return self.t + self.ms / 1000

    @property
    def ok(self) -> bool:
        """Answered, and not with a server error (a 4xx is the ERP answering correctly)."""
        return 200 <= self.status < 500

    @property
    def clean_failure(self) -> bool:
        """Failed the way an outage should: a 503 problem+json, quickly."""
        return self.status == 503 and self.problem and self.ms < HANG_SECONDS * 1000


@dataclass(frozen=True)
class Load:
    users: int
    rate_per_user: float
    locust: str

    @property
    def requests_per_second(self) -> float:
        return self.users * self.rate_per_user


def read_requests(path: Path) -> list[Request]:
    if not path.exists():
        return []
    requests = []
    for line in path.read_text(encoding="utf-8").splitlines():
        data = json.loads(line)
        if data["route"] != "login":  # the users' own start-up, not the measured traffic
            requests.append(Request(**data))
    return sorted(requests, key=lambda r: r.t)


class Traffic:
    """``with Traffic(load, url, seconds, folder) as traffic: …`` then ``traffic.requests``."""

    def __init__(self, load: Load, url: str, seconds: int, folder: Path) -> None:
        self.load, self.url, self.seconds, self.folder = load, url, seconds, folder
        self.events = folder / "requests.jsonl"
        self.requests: list[Request] = []
        self.process: subprocess.Popen[bytes] | None = None
        self.started = 0.0

    def __enter__(self) -> Traffic:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.events.unlink(missing_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")}
        env.update({"PYTHONPATH": str(ROOT), "VALEO_RESILIENCE_EVENTS": str(self.events)})
        argv = [
            self.load.locust,
            *("-f", str(LOCUSTFILE), "--headless", "--host", self.url),
            *("--users", str(self.load.users), "--spawn-rate", str(self.load.users)),
            *("--run-time", f"{self.seconds}s", "--stop-timeout", "5"),
            *("--rate-per-user", str(self.load.rate_per_user)),
            *("--only-summary", "--exit-code-on-error", "0", "--loglevel", "WARNING"),
        ]
        with (self.folder / "locust.log").open("wb") as log:
            self.process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=log)
        self.started = time.time()
        return self

    def wait_until(self, seconds_after_start: float) -> float:
        """Sleep until that moment of the run; the Unix time it is then."""
        time.sleep(max(0.0, self.started + seconds_after_start - time.time()))
        return time.time()

    def __exit__(self, *_exc: object) -> None:
        assert self.process is not None
        try:
            code = self.process.wait(timeout=self.seconds + 60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise RuntimeError(f"locust did not stop; see {self.folder / 'locust.log'}") from None
        if code != 0:
            raise RuntimeError(f"locust exited {code}; see {self.folder / 'locust.log'}")
        self.requests = read_requests(self.events)


@dataclass
class Probe:
    """``/health/ready`` ten times a second: (time, status) with 0 for no answer."""

    url: str
    interval: float = 0.1
    readings: list[tuple[float, int]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> Probe:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        with httpx.Client(timeout=2, headers={"Connection": "close"}) as client:
            while not self._stop.is_set():
                now = time.time()
                try:
                    status = client.get(f"{self.url}/health/ready").status_code
                except httpx.HTTPError:
                    status = 0
                self.readings.append((now, status))
                self._stop.wait(max(0.0, self.interval - (time.time() - now)))

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def first_ready_after(self, moment: float) -> float | None:
        """Seconds from ``moment`` to the first 200 after the last non-200 following it."""
        after = [(t, s) for t, s in self.readings if t >= moment]
        down = [t for t, s in after if s != 200]
        if not down:
            return next((t - moment for t, s in after if s == 200), None)
        last_down = max(down)
        return next((t - moment for t, s in after if s == 200 and t > last_down), None)

    def write(self, path: Path, started: float) -> None:
        """The readings as CSV: seconds into the run, status (0: no answer)."""
        lines = ["t,status", *(f"{t - started:.3f},{s}" for t, s in self.readings)]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def saw(self, status: int, since: float) -> bool:
        return any(s == status for t, s in self.readings if t >= since)
