"""A real server's output: JSON lines only, its own lines included, the request id on them."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

from quality.config import load
from quality.live_server import LiveServer

ROOT = Path(__file__).resolve().parents[2]


def test_the_server_writes_json_lines_with_request_ids(tmp_path: Path) -> None:
    server = LiveServer(load(ROOT), tmp_path, seed=False)
    with server:
        request = urllib.request.Request(  # noqa: S310  (loopback only)
            server.url + "/health/live", headers={"X-Request-ID": "live-log-check-1"}
        )
        with urllib.request.urlopen(request, timeout=5) as reply:  # noqa: S310
            assert reply.headers["X-Request-ID"] == "live-log-check-1"
    output = server.log_path.read_bytes()
    # Everything but the migrate step's console line is one JSON object per line.
    lines: list[dict[str, Any]] = [
        json.loads(x) for x in output.splitlines() if x and not x.startswith(b"database at")
    ]
    assert any(x["message"] == "Application startup complete." for x in lines)
    [request_line] = [x for x in lines if x.get("request_id") == "live-log-check-1"]
    assert request_line["request_id"] == "live-log-check-1"
    assert request_line["route"] == "/health/live"
    assert request_line["status"] == 200
    # uvicorn's own lines come through the same handler; its access log is replaced by ours
    assert any(x["logger"] == "uvicorn.error" for x in lines)
    assert not any(x["logger"] == "uvicorn.access" for x in lines)
