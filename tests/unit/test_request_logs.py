"""Structured request logs: one JSON line per request, the id on every line, no secrets."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from erp.app import create_app
from erp.logs import log_handler
from erp.telemetry.context import UNMATCHED
from tests.conftest import PASSWORD, Account, make_settings
from tests.route_table import ENDPOINTS
from tests.web_helpers import web_login


class CapturedLogs:
    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text.splitlines() if line]

    def requests(self) -> list[dict[str, Any]]:
        return [line for line in self.lines() if line.get("event") == "request"]

    def server_text(self) -> str:
        """Everything but the test client's own lines (httpx logs the URLs it fetches)."""
        lines = self.text.splitlines()
        return "\n".join(x for x in lines if not json.loads(x)["logger"].startswith("httpx"))

    def for_id(self, request_id: str) -> list[dict[str, Any]]:
        return [line for line in self.lines() if line["request_id"] == request_id]


@pytest.fixture
def logs() -> Iterator[CapturedLogs]:
    """The app's own JSON handler on the root logger, writing into a buffer."""
    stream = io.StringIO()
    handler = log_handler(stream, "json")
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)  # secrets must stay out at every level
    try:
        yield CapturedLogs(stream)
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


def test_a_request_line_has_every_field(client: TestClient, logs: CapturedLogs) -> None:
    response = client.get("/health/live")
    request_id = response.headers["X-Request-ID"]
    [line] = [line for line in logs.requests() if line["request_id"] == request_id]
    assert line["method"] == "GET"
    assert line["route"] == "/health/live"
    assert line["status"] == 200
    assert line["duration_ms"] >= 0
    assert line["user_id"] is None
    assert {"time", "level", "logger", "message"} <= line.keys()


def test_the_route_template_is_logged_not_only_the_raw_path(
    client: TestClient, logs: CapturedLogs, admin: Account
) -> None:
    response = client.get("/api/v1/customers/987654", headers=admin.headers)
    [line] = logs.for_id(response.headers["X-Request-ID"])
    assert line["route"] == "/api/v1/customers/{customer_id}"
    assert line["path"] == "/api/v1/customers/987654"
    assert line["status"] == 404
    assert line["user_id"] == admin.id


def test_unmatched_paths_share_one_route_value(client: TestClient, logs: CapturedLogs) -> None:
    for path in ("/no/such/page", "/api/v1/nothing-here", "/x" * 40):
        client.get(path)
    assert [line["route"] for line in logs.requests()] == [UNMATCHED] * 3
    client.get("/static/app.css")
    assert logs.requests()[-1]["route"] == "/static/{path}"


@pytest.mark.parametrize(
    ("sent", "kept"),
    [("trace-4711.a:b_c", True), ("x" * 129, False), ("with space", False), ('quo"te', False)],
)
def test_a_plain_request_id_is_kept_anything_else_replaced(
    client: TestClient, logs: CapturedLogs, sent: str, kept: bool
) -> None:
    returned = client.get("/health/live", headers={"X-Request-ID": sent}).headers["X-Request-ID"]
    assert (returned == sent) is kept
    assert len(returned) <= 128
    assert logs.requests()[-1]["request_id"] == returned


def _app_with_noisy_routes(tmp_path: Path) -> FastAPI:
    app = create_app(make_settings(tmp_path, "sqlite://"))
    noisy = logging.getLogger("erp.test.noisy")

    def in_a_thread() -> dict[str, str]:  # plain def: runs in the thread pool
        noisy.warning("working on it")
        return {"ok": "yes"}

    def failing() -> None:
        noisy.info("about to fail")
        raise RuntimeError("boom")

    app.add_api_route("/noisy", in_a_thread)
    app.add_api_route("/failing", failing)
    return app


def test_every_line_written_while_serving_carries_the_request_id(
    tmp_path: Path, logs: CapturedLogs
) -> None:
    with TestClient(_app_with_noisy_routes(tmp_path), raise_server_exceptions=False) as client:
        ok = client.get("/noisy", headers={"X-Request-ID": "req-noisy"})
        failed = client.get("/failing", headers={"X-Request-ID": "req-failing"})
    assert ok.status_code == 200
    assert failed.status_code == 500
    assert failed.headers["X-Request-ID"] == "req-failing"
    noisy = logs.for_id("req-noisy")
    assert [line["message"] for line in noisy if line.get("event") != "request"] == [
        "working on it"
    ]
    failing = logs.for_id("req-failing")
    messages = [line["message"] for line in failing]
    assert "about to fail" in messages
    assert any(m.startswith("unhandled error on GET /failing") for m in messages)
    [request_line] = [line for line in failing if line.get("event") == "request"]
    assert request_line["status"] == 500
    assert request_line["level"] == "ERROR"
    assert "RuntimeError" in next(line["exc_info"] for line in failing if "exc_info" in line)


def test_every_route_produces_its_request_line(
    client: TestClient, logs: CapturedLogs, admin: Account
) -> None:
    """Log coverage: each route of the route table, anonymous and as admin, logged once."""
    web_login(client, admin.email)
    checked = 0
    for headers in ({}, admin.headers):
        for endpoint in ENDPOINTS:
            response = client.request(
                endpoint.method, endpoint.url(admin.id), headers=headers, follow_redirects=False
            )
            request_id = response.headers["X-Request-ID"]
            lines = [line for line in logs.requests() if line["request_id"] == request_id]
            assert len(lines) == 1, endpoint.id
            [line] = lines
            assert (line["method"], line["route"]) == (endpoint.method, endpoint.path)
            assert line["status"] == response.status_code, endpoint.id
            checked += 1
    assert checked == 2 * len(ENDPOINTS) > 300


def test_the_signed_in_user_is_named_on_web_and_api_requests(
    client: TestClient, logs: CapturedLogs, admin: Account
) -> None:
    api = client.get("/api/v1/customers", headers=admin.headers)
    web_login(client, admin.email)
    page = client.get("/customers")
    assert (api.status_code, page.status_code) == (200, 200)
    for response in (api, page):
        [line] = [x for x in logs.requests() if x["request_id"] == response.headers["X-Request-ID"]]
        assert line["user_id"] == admin.id


def test_no_password_token_or_cookie_is_logged(
    client: TestClient, logs: CapturedLogs, admin: Account
) -> None:
    login = client.post("/api/v1/auth/login", json={"email": admin.email, "password": PASSWORD})
    assert login.status_code == 200
    token = login.json()["access_token"]
    client.get("/api/v1/customers", headers={"Authorization": f"Bearer {token}"})
    client.post("/api/v1/auth/login", json={"email": admin.email, "password": "wrong-Secret-77"})
    web_login(client, admin.email)
    cookies = [value for value in client.cookies.values() if len(value) >= 16]
    client.get("/customers?q=findme")
    assert cookies
    assert len(logs.requests()) >= 5
    server_lines = logs.server_text()
    for secret in (PASSWORD, "wrong-Secret-77", token, admin.token, *cookies, "findme"):
        assert secret not in server_lines


def test_extra_fields_named_like_secrets_are_redacted(logs: CapturedLogs) -> None:
    logging.getLogger("erp.test").info("careless", extra={"password": "p4ss", "api_token": "t0k"})
    line = logs.lines()[-1]
    assert line["password"] == line["api_token"] == "[redacted]"
    assert "p4ss" not in logs.text
    assert "t0k" not in logs.text
