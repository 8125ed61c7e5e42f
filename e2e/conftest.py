"""E2E fixtures: a live server, Chromium, the API beside the browser, and path accounting.

Every test declares the critical path it proves with ``@pytest.mark.critical_path("id")``;
an id missing from ``critical_paths.toml`` stops the run at collection. The results (path ×
test × outcome × duration) go to ``$E2E_OUTPUT/critical_paths.json`` for the quality gate.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from e2e.registry import load_registry
from quality.config import load
from quality.live_server import LiveServer

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = Path(os.environ.get("E2E_OUTPUT") or ROOT / "reports" / "latest" / "e2e")
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DEMO_PASSWORD = "valeo-demo-2026"
PASSWORD = "e2e-passwort-2026"
_results: dict[str, dict[str, Any]] = {}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    declared = load_registry()
    for item in items:
        marker = item.get_closest_marker("critical_path")
        if marker is None:
            continue
        path_id = marker.args[0] if marker.args else None
        if path_id not in declared:
            raise pytest.UsageError(
                f"{item.nodeid} names unknown critical path {path_id!r}; "
                f"declared: {sorted(declared)}"
            )
        item.user_properties.append(("critical_path", path_id))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    path_id = dict(report.user_properties).get("critical_path")
    if path_id is None or str(report.outcome) == "rerun":
        return
    if report.when == "call" or report.outcome != "passed":
        entry = _results.setdefault(report.nodeid, {"test": report.nodeid, "path": path_id})
        entry["outcome"] = report.outcome if report.when == "call" else "error"
        entry["duration_s"] = round(entry.get("duration_s", 0.0) + report.duration, 2)


def pytest_sessionfinish(session: pytest.Session) -> None:
    if not hasattr(session.config, "workerinput"):
        declared = [vars(p) | {"roles": list(p.roles)} for p in load_registry().values()]
        OUTPUT.mkdir(parents=True, exist_ok=True)
        (OUTPUT / "critical_paths.json").write_text(
            json.dumps({"declared": declared, "results": list(_results.values())}, indent=2),
            encoding="utf-8",
        )


# The live server and the browser ------------------------------------------------------


@pytest.fixture(scope="session")
def live_server() -> Iterator[LiveServer]:
    """The ERP on a fresh, seeded database; its coverage counts for the web layer."""
    workdir = OUTPUT / "server"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    with LiveServer(load(ROOT), workdir, coverage=True) as server:
        yield server


@pytest.fixture(scope="session")
def base_url(live_server: LiveServer) -> str:
    return live_server.url


def chromium_executable() -> str | None:
    """Debian's Chromium (or $VALEO_CHROMIUM); None lets Playwright use its own browser."""
    configured = os.environ.get("VALEO_CHROMIUM")
    if configured:
        return configured
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    # Chromium's profile, cache and crash reports stay inside the run's folder.
    home = OUTPUT / "chromium-home"
    home.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
    }
    args = {
        **browser_type_launch_args,
        "env": env,
        "args": [*browser_type_launch_args.get("args", []), *CHROMIUM_ARGS],
    }
    executable = chromium_executable()
    if executable:
        args["executable_path"] = executable
    return args


ACTION_TIMEOUT_MS = 8_000  # a local server answers in milliseconds; fail fast, not after 30 s


@pytest.fixture(autouse=True)
def _fail_fast(page: Page) -> None:
    page.set_default_timeout(ACTION_TIMEOUT_MS)
    expect.set_options(timeout=ACTION_TIMEOUT_MS)


# The API beside the browser -----------------------------------------------------------


class Api:
    """``/api/v1`` as a second witness: what the page shows must be what the books say."""

    def __init__(self, base_url: str) -> None:
        self.client = httpx.Client(base_url=base_url + "/api/v1", timeout=10)

    def token(self, email: str, password: str) -> str:
        response = self.client.post("/auth/login", json={"email": email, "password": password})
        response.raise_for_status()
        token: str = response.json()["access_token"]
        return token

    def get(self, path: str, token: str, **params: Any) -> httpx.Response:
        return self.client.get(path, params=params, headers={"Authorization": f"Bearer {token}"})

    def post(self, path: str, token: str, body: dict[str, Any]) -> httpx.Response:
        """Set-up through the API (records a test needs but does not prove)."""
        return self.client.post(path, json=body, headers={"Authorization": f"Bearer {token}"})


@pytest.fixture(scope="session")
def api(live_server: LiveServer) -> Iterator[Api]:
    client = Api(live_server.url)
    yield client
    client.client.close()


@pytest.fixture
def unique() -> str:
    """A suffix that keeps each test's records apart on the shared server."""
    return uuid.uuid4().hex[:8]


@pytest.fixture(scope="session")
def admin_token(api: Api) -> str:
    return api.token("admin@valeo.test", DEMO_PASSWORD)
