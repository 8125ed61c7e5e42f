"""Sentry: the real SDK sends real envelopes over HTTP to a local receiver.

An unhandled error in a route arrives with the route template as transaction and the
configured environment and release, and no password, token, cookie or CSRF value appears
anywhere in what was sent. The pages carry the vendored browser SDK only when a DSN is set.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sentry_sdk
from fastapi import FastAPI
from fastapi.testclient import TestClient

from erp.app import create_app
from erp.auth import service as auth_service
from erp.auth.models import Role
from erp.config import Settings
from erp.crm import service as crm_service
from erp.telemetry.sentry import FILTERED, close_sentry, scrub_event, scrub_text
from erp.web.security import CSRF_COOKIE, SESSION_COOKIE
from tests.conftest import AccountFactory
from tests.sentry_receiver import SentryReceiver
from tests.web_helpers import csrf_from

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "erp" / "web" / "static" / "vendor" / "sentry"
RELEASE = "valeo@9.9.9+testrelease"
FLUSH_TIMEOUT = 5.0


class Boom(RuntimeError):
    """The unhandled error the tests plant in a real route."""


def secret() -> str:
    return f"s3cr3t-{uuid.uuid4().hex}"


def raiser(message: str) -> Callable[..., Any]:
    def fail(*_args: object, **_kwargs: object) -> Any:
        raise Boom(message)

    return fail


@pytest.fixture
def receiver() -> Iterator[SentryReceiver]:
    with SentryReceiver() as running:
        yield running


@pytest.fixture
def sentry_settings(settings: Settings, receiver: SentryReceiver) -> Settings:
    return settings.model_copy(
        update={
            "sentry_dsn": receiver.dsn,
            "sentry_environment": "ci-test",
            "sentry_release": RELEASE,
            "sentry_traces_sample_rate": 1.0,
        }
    )


@pytest.fixture
def app(sentry_settings: Settings) -> Iterator[FastAPI]:
    """Overrides the shared app: this one starts the SDK (so the client, services and
    account fixtures all work on it)."""
    application = create_app(sentry_settings)
    try:
        yield application
    finally:
        close_sentry()
        application.state.services.database.dispose()


def everything_sent(receiver: SentryReceiver) -> bytes:
    sentry_sdk.flush(timeout=FLUSH_TIMEOUT)
    return b"\n".join(envelope.raw for envelope in receiver.envelopes)


def error_event(receiver: SentryReceiver, message: str) -> dict[str, Any]:
    return receiver.wait_for(
        lambda e: any(v.get("value") == message for v in e.get("exception", {}).get("values", []))
    )


def test_an_unhandled_api_error_arrives_with_its_route_and_without_credentials(
    client: TestClient,
    receiver: SentryReceiver,
    make_account: AccountFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    account = make_account(Role.sales)
    message = f"crm backend down {uuid.uuid4().hex}"
    monkeypatch.setattr(crm_service, "get_customer", raiser(message))
    cookie, query_token, api_key = secret(), secret(), secret()
    client.cookies.set(SESSION_COOKIE, cookie)

    started = time.monotonic()
    response = client.get(
        f"/api/v1/customers/123?access_token={query_token}&page=2",
        headers={**account.headers, "X-Api-Key": api_key},
    )
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert message not in response.text

    event = error_event(receiver, message)
    elapsed = time.monotonic() - started
    exception = event["exception"]["values"][-1]
    assert exception["type"] == "Boom"
    assert exception["mechanism"] == {"type": "starlette", "handled": False}
    assert event["transaction"] == "/api/v1/customers/{customer_id}"
    assert event["transaction_info"] == {"source": "route"}
    assert event["environment"] == "ci-test"
    assert event["release"] == RELEASE
    assert event["request"]["method"] == "GET"
    assert event["request"]["url"].endswith("/api/v1/customers/123")
    assert event["request"]["query_string"] == f"access_token={FILTERED}&page=2"
    assert event["tags"]["request_id"] == response.headers["X-Request-ID"]
    assert not any("vars" in frame for frame in exception["stacktrace"]["frames"])

    sent = everything_sent(receiver)
    assert b'"type":"transaction"' in sent, "traces_sample_rate=1 sends the request's trace"
    for value in (account.token, cookie, query_token, api_key):
        assert value.encode() not in sent
    assert elapsed < FLUSH_TIMEOUT


@pytest.mark.parametrize("api", [True, False], ids=["api-json", "web-form"])
def test_a_failing_login_sends_no_password_csrf_or_cookie(
    api: bool,
    client: TestClient,
    receiver: SentryReceiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    message = f"login backend down {uuid.uuid4().hex}"
    monkeypatch.setattr(auth_service, "login", raiser(message))
    password, bearer, cookie = secret(), secret(), secret()
    headers = {"Authorization": f"Bearer {bearer}", "X-CSRF-Token": secret()}
    if api:
        client.cookies.set(SESSION_COOKIE, cookie)
        response = client.post(
            "/api/v1/auth/login",
            json={"email": "ada@valeo.test", "password": password},
            headers=headers,
        )
        secrets = [password, bearer, cookie, headers["X-CSRF-Token"]]
        route = "/api/v1/auth/login"
    else:
        csrf = csrf_from(client, "/login")
        client.cookies.set(SESSION_COOKIE, cookie)
        response = client.post(
            "/login",
            data={"email": "ada@valeo.test", "password": password, "csrf_token": csrf},
            headers=headers,
            follow_redirects=False,
        )
        secrets = [password, bearer, cookie, csrf, client.cookies[CSRF_COOKIE]]
        route = "/login"
    assert response.status_code == 500

    event = error_event(receiver, message)
    assert event["transaction"] == route
    assert event["request"]["data"]["password"] == FILTERED
    assert event["request"]["data"]["email"] == "ada@valeo.test"  # the rest stays useful
    sent = everything_sent(receiver)
    assert sent.count(b'"type":"event"') == 1, "one event: the logged duplicates are dropped"
    leaked = [value for value in secrets if value.encode() in sent]
    assert leaked == []


def test_sample_rate_zero_sends_no_error(
    settings: Settings, receiver: SentryReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    quiet = settings.model_copy(
        update={"sentry_dsn": receiver.dsn, "sentry_sample_rate": 0.0, "sentry_release": RELEASE}
    )
    monkeypatch.setattr(auth_service, "login", raiser("not sampled"))
    application = create_app(quiet)
    try:
        options = sentry_sdk.get_client().options
        assert (options["sample_rate"], options["traces_sample_rate"]) == (0.0, 0.0)
        assert options["release"] == RELEASE
        assert options["environment"] == "test"  # default: the app's environment
        with TestClient(application, raise_server_exceptions=False) as client:
            body = {"email": "ada@valeo.test", "password": "x"}
            assert client.post("/api/v1/auth/login", json=body).status_code == 500
        sentry_sdk.flush(timeout=FLUSH_TIMEOUT)
        assert receiver.events() == []
    finally:
        close_sentry()
        application.state.services.database.dispose()


def test_without_a_dsn_the_sdk_stays_off_and_pages_load_no_sdk(
    settings: Settings,
) -> None:
    application = create_app(settings)
    try:
        assert not sentry_sdk.get_client().is_active()
        with TestClient(application) as client:
            page = client.get("/login").text
        assert "sentry" not in page.lower()
        assert "<script" not in page
    finally:
        application.state.services.database.dispose()


def test_pages_load_the_vendored_browser_sdk_started_from_data_attributes(
    client: TestClient, receiver: SentryReceiver
) -> None:
    page = client.get("/login").text
    tags = re.findall(r"<script[^>]*>", page)
    assert len(tags) == 1, tags
    (tag,) = tags
    assert 'src="/static/vendor/sentry/sentry.min.js"' in tag
    assert f'data-dsn="{receiver.dsn}"' in tag
    assert 'data-environment="ci-test"' in tag
    assert f'data-release="{RELEASE}"' in tag
    assert 'data-sample-rate="1"' in tag
    assert tag + "</script>" in page  # an empty element: no inline code

    bundle = client.get("/static/vendor/sentry/sentry.min.js")
    assert bundle.status_code == 200
    assert "javascript" in bundle.headers["content-type"]
    assert re.search(rb"https?://", bundle.content) is None, "the bundle loads nothing remote"


def test_the_vendored_bundle_is_the_one_its_version_file_names() -> None:
    version = (VENDOR / "VERSION").read_text(encoding="utf-8")
    bundle = (VENDOR / "sentry.min.js").read_bytes()
    assert f"sha256 {hashlib.sha256(bundle).hexdigest()}" in version
    pinned = json.loads((ROOT / "ops/vendor/sentry-browser/package.json").read_text("utf-8"))
    assert version.startswith(f"@sentry/browser {pinned['dependencies']['@sentry/browser']} ")
    assert "MIT License" in (VENDOR / "LICENSE").read_text(encoding="utf-8")


# The scrubber on its own ---------------------------------------------------------------


def test_scrub_event_filters_sensitive_names_anywhere_and_keeps_the_rest() -> None:
    event: Any = {
        "request": {
            "headers": {"Authorization": "Bearer abc", "X-Csrf-Token": "c", "Accept": "*/*"},
            "cookies": {"valeo_session": "s"},
            "data": {"user": {"new_password": "p", "name": "Ada"}, "items": [{"token": "t"}]},
            "query_string": "next=/x&api_key=k",
        },
        "extra": {"client_secret": "cs", "empty_token": None},
        "breadcrumbs": {"values": [{"message": "GET /a?password=pw", "data": {"apiKey": "k"}}]},
        "exception": {
            "values": [
                {
                    "value": "refused: Authorization: Bearer tok123",
                    "stacktrace": {"frames": [{"vars": {"password": "p"}, "function": "f"}]},
                }
            ]
        },
        "modules": {"secretstorage": "3.3"},
    }
    scrubbed: Any = scrub_event(event, {})
    request = scrubbed["request"]
    assert request["headers"] == {
        "Authorization": FILTERED,
        "X-Csrf-Token": FILTERED,
        "Accept": "*/*",
    }
    assert request["cookies"] == FILTERED
    assert request["data"] == {
        "user": {"new_password": FILTERED, "name": "Ada"},
        "items": [{"token": FILTERED}],
    }
    assert request["query_string"] == f"next=/x&api_key={FILTERED}"
    assert scrubbed["extra"] == {"client_secret": FILTERED, "empty_token": None}
    crumb = scrubbed["breadcrumbs"]["values"][0]
    assert crumb == {"message": f"GET /a?password={FILTERED}", "data": {"apiKey": FILTERED}}
    (value,) = scrubbed["exception"]["values"]
    assert "tok123" not in value["value"]
    assert value["stacktrace"]["frames"] == [{"function": "f"}]
    assert scrubbed["modules"] == {"secretstorage": "3.3"}
    assert event["request"]["cookies"] == {"valeo_session": "s"}, "the input is left alone"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Bearer abc.def-1", f"Bearer {FILTERED}"),
        ("Basic dXNlcjpwdw==", f"Basic {FILTERED}"),
        ("basic validation failed", "basic validation failed"),
        ("invalid token supplied", "invalid token supplied"),
        ('{"password": "hunter2", "n": 1}', f'{{"password": "{FILTERED}", "n": 1}}'),
        (
            "Login(email='a@b.de', password='hunter2')",
            f"Login(email='a@b.de', password='{FILTERED}')",
        ),
        ("a=1&csrf_token=x&b=2", f"a=1&csrf_token={FILTERED}&b=2"),
        ("session: 42 rows", f"session: {FILTERED} rows"),
        ("nothing to see here", "nothing to see here"),
    ],
)
def test_scrub_text(text: str, expected: str) -> None:
    assert scrub_text(text) == expected
