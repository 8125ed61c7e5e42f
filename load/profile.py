"""The server under a sampling profiler: py-spy's speedscope file and the hottest functions.

``python -m load --profile`` records the server with py-spy while Locust runs (every thread
and worker process, without pausing the server: ``--nonblocking``). Idle threads — the event
loop in its selector, the thread pool waiting for work — are left out (py-spy's default
without ``--idle``), so the samples show where the server spends CPU, SQLite and argon2 (which
run without the GIL) included. ``--function`` gives every frame its function's first line, so
a function is one entry, not one per line.

py-spy asks the OS whether a thread runs; a thread just woken (or waiting for a busy core)
counts as running. Its fallback that calls a thread waiting in ``threading``'s ``wait`` idle
no longer matches Python 3.11's qualified names (``Condition.wait``), so the pool's idle
workers filled a third of the samples: such samples are counted apart, as waiting.

``python -m load.profile FILE`` prints the table of a speedscope file.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SPEEDSCOPE = "profile.speedscope.json"
LOG = "profile.log"
SAMPLING = "Sampling process"  # what py-spy prints once it is attached
RATE_HZ = 100
TOP = 20
WAITING = {("threading.py", "wait"), ("selectors.py", "select")}  # (file, function) on top
INSTALLED = re.compile(r"^.*/(?:site-packages|dist-packages|lib/python3\.[0-9]+)/")


@dataclass(frozen=True)
class HotFunction:
    function: str
    location: str  # file:line of the function's first line
    self_samples: int  # samples with the function on top of the stack
    total_samples: int  # samples with the function anywhere on the stack (once per sample)
    self_pct: float
    total_pct: float
    own: bool  # the project's code, not an installed package or the standard library


def short_path(path: str) -> tuple[str, bool]:
    """(``erp/sales/service.py``, True); (``sqlalchemy/orm/query.py``, False)."""
    if INSTALLED.match(path):
        return INSTALLED.sub("", path), False
    if path.startswith(f"{ROOT}/"):
        return path[len(str(ROOT)) + 1 :], True
    return path, False


def is_waiting(frame: dict[str, Any]) -> bool:
    return (Path(frame["file"]).name, frame["name"].rsplit(".", 1)[-1]) in WAITING


def hot_functions(speedscope: dict[str, Any]) -> tuple[int, int, list[HotFunction]]:
    """(samples counted, samples waiting, every function by self samples, then total).

    Stacks are lists of indices into ``shared.frames``, outermost first. Frames without a file
    are py-spy's "process …" pseudo-frames (``--subprocesses``): they are no function.
    """
    frames = speedscope["shared"]["frames"]
    functions = [
        (f["name"], f"{short_path(f['file'])[0]}:{f['line']}") if f.get("file") else None
        for f in frames
    ]
    own_code = {
        functions[i] for i, f in enumerate(frames) if f.get("file") and short_path(f["file"])[1]
    }
    own: Counter[tuple[str, str]] = Counter()
    inclusive: Counter[tuple[str, str]] = Counter()
    samples = waiting = 0
    for profile in speedscope["profiles"]:
        for stack in profile.get("samples", []):
            called = [i for i in stack if functions[i] is not None]
            if not called:
                continue
            if is_waiting(frames[called[-1]]):
                waiting += 1
                continue
            samples += 1
            own[functions[called[-1]]] += 1
            # a recursive function counts once per sample
            inclusive.update({functions[i] for i in called})
    table = [
        HotFunction(
            function=name,
            location=location,
            self_samples=own[name, location],
            total_samples=count,
            self_pct=round(100.0 * own[name, location] / samples, 2),
            total_pct=round(100.0 * count / samples, 2),
            own=(name, location) in own_code,
        )
        for (name, location), count in inclusive.items()
    ]
    table.sort(key=lambda f: (-f.self_samples, -f.total_samples, f.function, f.location))
    return samples, waiting, table


def summarize(speedscope_file: Path, top: int = TOP) -> dict[str, Any]:
    """The ``profile`` entry of the load summary: the top ``top`` by self time, and the
    project's own functions by total time (which endpoints and services cost most)."""
    speedscope = json.loads(speedscope_file.read_text(encoding="utf-8"))
    samples, waiting, table = hot_functions(speedscope)
    by_total = sorted(table, key=lambda f: (-f.total_samples, -f.self_samples, f.function))
    own = [f for f in by_total if f.own]
    return {
        "speedscope": speedscope_file.name,
        "rate_hz": RATE_HZ,
        "samples": samples,
        "waiting_samples": waiting,
        "by_self": [asdict(f) for f in table[:top]],
        "own_by_total": [asdict(f) for f in own[:top]],
    }


def format_table(profile: dict[str, Any]) -> str:
    """The hottest functions, as printed at the end of a profiled run."""
    lines = [
        f"{profile['samples']} samples ({profile['waiting_samples']} more waiting, not counted)",
    ]
    for title, rows in (
        ("hottest functions by self time", profile["by_self"]),
        ("the project's own functions by total time", profile["own_by_total"]),
    ):
        lines += ["", f"{title}:", f"{'self %':>7} {'total %':>7}  function (file:line)"]
        lines += [
            f"{r['self_pct']:7.2f} {r['total_pct']:7.2f}  {r['function']} ({r['location']})"
            for r in rows
        ]
    return "\n".join(lines)


def py_spy() -> str:
    """py-spy from the running interpreter's venv (a locked dependency), else from PATH."""
    beside = Path(sys.executable).with_name("py-spy")
    found = str(beside) if beside.exists() else shutil.which("py-spy")
    if found is None:
        raise RuntimeError("py-spy not found (it is in the quality dependency group)")
    return found


class Profiler:
    """``with Profiler(pid, out): …`` records ``pid`` and its children into ``out``.

    py-spy stops on SIGINT and only then writes its file. Attaching needs ptrace rights over
    the server (root, CAP_SYS_PTRACE, or kernel.yama.ptrace_scope = 0).
    """

    def __init__(self, pid: int, out: Path, cpus: frozenset[int] | None = None) -> None:
        self.pid, self.output, self.log = pid, out / SPEEDSCOPE, out / LOG
        self.cpus = cpus  # the load generator's cores: keep the sampler off the server's
        self.process: subprocess.Popen[bytes] | None = None

    def argv(self) -> list[str]:
        return [
            *(py_spy(), "record", "--pid", str(self.pid), "--subprocesses", "--nonblocking"),
            *("--function", "--rate", str(RATE_HZ), "--format", "speedscope"),
            *("--output", str(self.output)),
        ]

    def start(self) -> None:
        self.output.unlink(missing_ok=True)
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                self.argv(),
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=self._pin if self.cpus else None,  # noqa: PLW1509  (one system call)
            )
        self._await_sampling()

    def _await_sampling(self, timeout: float = 15.0) -> None:
        """Fail before the load, not after it: py-spy announces sampling once attached."""
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if SAMPLING in self._log_tail():
                return
            if self.process.poll() is not None:
                raise RuntimeError(f"py-spy exited {self.process.returncode}: {self._log_tail()}")
            time.sleep(0.05)
        self.process.kill()
        self.process.wait()
        raise RuntimeError(f"py-spy did not start sampling in {timeout:g} s: {self._log_tail()}")

    def _pin(self) -> None:
        assert self.cpus is not None
        os.sched_setaffinity(0, self.cpus)

    def stop(self, timeout: float = 60.0) -> Path:
        """SIGINT, then wait while py-spy writes its file (bounded)."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if not self.output.exists():
            raise RuntimeError(f"py-spy wrote no profile: {self._log_tail()}")
        return self.output

    def _log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-1500:] if self.log.exists() else ""

    def __enter__(self) -> Profiler:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.stop()
        elif self.process is not None and self.process.poll() is None:
            self.process.kill()  # the run failed anyway: no profile to wait for
            self.process.wait()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m load.profile", description=__doc__.split("\n")[0])
    p.add_argument("file", type=Path, help=f"a speedscope file (the load run writes {SPEEDSCOPE})")
    p.add_argument("--top", type=int, default=TOP)
    args = p.parse_args(argv)
    print(format_table(summarize(args.file, args.top)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
