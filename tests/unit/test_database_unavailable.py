"""A database that does not answer: every request fails fast with 503 problem+json.

Unreachable here is a PostgreSQL port nothing listens on (connection refused at once); the
statement and lock timeouts that bound a slow database are set on every request connection.
A live PostgreSQL that is stopped and slowed under load: resilience/ (``nox -s resilience``).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from erp.app import build_services
from erp.web.security import SESSION_COOKIE, _serializer
from tests.conftest import make_settings


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def unreachable(shared_app: FastAPI, tmp_path: Path) -> Iterator[TestClient]:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/valeo"
    shared_app.state.services = build_services(make_settings(tmp_path, url))
    with TestClient(shared_app, raise_server_exceptions=False) as client:
        yield client
    shared_app.state.services.database.dispose()


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/v1/auth/login", {"email": "a@valeo.test", "password": "secret-pass-1"}),
        ("GET", "/api/v1/customers", None),
        (
            "POST",
            "/api/v1/auth/register",
            {"email": "new@valeo.test", "full_name": "N", "password": "secret-pass-1"},
        ),
    ],
)
def test_requests_fail_fast_with_a_503_problem(
    unreachable: TestClient, method: str, path: str, body: dict[str, str] | None
) -> None:
    headers = {"Authorization": "Bearer some-token"}
    reply = unreachable.request(method, path, json=body, headers=headers)
    assert reply.status_code == 503
    assert reply.headers["content-type"] == "application/problem+json"
    assert reply.headers["retry-after"] == "5"
    problem = reply.json()
    assert problem["type"].endswith("/database-unavailable")
    assert problem["status"] == 503
    assert "nothing was changed" in problem["detail"]
    assert "127.0.0.1" not in reply.text  # no driver message, no connection details


def test_pages_show_the_outage_as_a_page(unreachable: TestClient, shared_app: FastAPI) -> None:
    signed = _serializer(shared_app.state.services, "session").dumps("some-token")
    unreachable.cookies.set(SESSION_COOKIE, signed)
    reply = unreachable.get("/customers", headers={"Accept": "text/html"})
    assert reply.status_code == 503
    assert reply.headers["content-type"].startswith("text/html")


def test_the_api_declares_the_503() -> None:
    from erp.app import create_app

    schema = create_app(make_settings(Path("/tmp/valeo-openapi-test"))).openapi()  # noqa: S108
    login = schema["paths"]["/api/v1/auth/login"]["post"]["responses"]["503"]
    customers = schema["paths"]["/api/v1/customers"]["get"]["responses"]["503"]
    for response in (login, customers):
        assert "application/problem+json" in response["content"]
        assert "Retry-After" in response["headers"]
    assert "503" not in schema["paths"]["/health/live"]["get"]["responses"]
