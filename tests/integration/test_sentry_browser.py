"""The pages' browser SDK, for real: Chromium, a live server, and a local Sentry receiver.

An error thrown in the page arrives at the DSN's endpoint as a JavaScript event with the
page's URL, environment and release, and the page talks to no host but the ERP and the DSN.

Needs Chromium (Debian's ``chromium``, ``$VALEO_CHROMIUM``, or Playwright's own). Without
one the test is skipped, unless ``CI`` or ``VALEO_REQUIRE_BROWSER`` is set: then it fails.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Error, sync_playwright

from quality.config import load
from quality.live_server import LiveServer
from tests.sentry_receiver import SentryReceiver

ROOT = Path(__file__).resolve().parents[2]
RELEASE = "valeo@browser-test"
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def browser_required() -> bool:
    return bool(os.environ.get("CI") or os.environ.get("VALEO_REQUIRE_BROWSER"))


def chromium_executable() -> str | None:
    """Debian's Chromium (or $VALEO_CHROMIUM); None lets Playwright use its own browser."""
    return (
        os.environ.get("VALEO_CHROMIUM")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )


@pytest.fixture
def receiver() -> Iterator[SentryReceiver]:
    with SentryReceiver() as running:
        yield running


@pytest.fixture
def server(tmp_path: Path, receiver: SentryReceiver, sqlite_template: Path) -> Iterator[LiveServer]:
    config = load(ROOT)
    # A copy of the run's migrated template: no migration step (a process start, ~2-5 s).
    config = replace(config, app=replace(config.app, migrate=()))
    env = {"VALEO_SENTRY_DSN": receiver.dsn, "VALEO_SENTRY_RELEASE": RELEASE}
    with LiveServer(
        config, tmp_path / "server", seed=False, extra_env=env, database_template=sqlite_template
    ) as live:
        yield live


@pytest.fixture
def chromium(tmp_path: Path) -> Iterator[Browser]:
    home = tmp_path / "chromium-home"  # profile, cache and crash reports stay in tmp_path
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")}
    env["XDG_CACHE_HOME"] = str(home / ".cache")
    launch: dict[str, Any] = {"headless": True, "args": CHROMIUM_ARGS, "env": env}
    executable = chromium_executable()
    if executable:
        launch["executable_path"] = executable
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(**launch)
        except Error as exc:
            if browser_required():
                raise
            pytest.skip(f"no Chromium to run (set VALEO_CHROMIUM or install chromium): {exc}")
        try:
            yield browser
        finally:
            browser.close()


def test_an_error_thrown_in_the_page_arrives_at_the_dsn(
    chromium: Browser, server: LiveServer, receiver: SentryReceiver
) -> None:  # the browser first: without one, skip before starting a server
    page = chromium.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(server.url + "/login")
    page.wait_for_function("() => window.Sentry && window.Sentry.getClient() !== undefined")

    message = f"valeo-browser-boom-{uuid.uuid4().hex}"
    started = time.monotonic()
    page.evaluate(f"setTimeout(() => {{ throw new Error({json.dumps(message)}); }})")
    event = receiver.wait_for(
        lambda e: any(v.get("value") == message for v in e.get("exception", {}).get("values", []))
    )
    elapsed = time.monotonic() - started

    assert event["platform"] == "javascript"
    assert event["request"]["url"] == server.url + "/login"
    assert event["environment"] == "test"
    assert event["release"] == RELEASE
    (exception,) = event["exception"]["values"]
    assert exception["type"] == "Error"
    assert exception["mechanism"]["handled"] is False
    assert event["sdk"]["name"] == "sentry.javascript.browser"
    assert elapsed < 10
    own_hosts = (server.url + "/", f"http://127.0.0.1:{receiver.port}/")
    assert [url for url in requested if not url.startswith(own_hosts)] == []
    assert any(url.startswith(own_hosts[1]) for url in requested), "sent from the page itself"
    page.close()
