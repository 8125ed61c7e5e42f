"""The monitoring stack for real: Prometheus, a Pushgateway and the node exporter (Debian's
packages, on loopback ports of this test), the ERP under a little load, a quality run published.

Then every panel query of both Grafana dashboards, with Grafana's variables substituted, must
return data from Prometheus; every rule must load and evaluate; a push must replace its
branch's group and stale groups must go.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from erp.demo import DEMO_PASSWORD
from ops.grafana import dashboards
from quality import publish
from quality.config import load
from quality.live_server import LiveServer, free_port
from quality.model import RunSummary

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS_DIR = ROOT / "ops" / "prometheus"
RUN_SUMMARY = Path(__file__).with_name("data") / "quality-summary.json"
PROGRAMS = ("prometheus", "prometheus-pushgateway", "prometheus-node-exporter")
SCRAPE_SECONDS = 1
LOAD_SECONDS = 12

missing = [program for program in PROGRAMS if shutil.which(program) is None]
if missing and os.environ.get("VALEO_REQUIRE_OPS") != "1":
    pytest.skip(f"not installed: {', '.join(missing)}", allow_module_level=True)


class Process:
    """A program of the stack, started in its own folder, stopped (and reaped) at the end."""

    def __init__(self, argv: list[str], workdir: Path, ready_url: str) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.log = workdir / "output.log"
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(argv, cwd=workdir, stdout=out, stderr=out)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"{argv[0]} exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(ready_url, timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise AssertionError(f"{argv[0]} not ready at {ready_url}: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def prometheus_config(targets: dict[str, str], path: Path) -> Path:
    """The committed configuration with this test's targets and a 1 s scrape."""
    config = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text(encoding="utf-8"))
    config["global"]["scrape_interval"] = f"{SCRAPE_SECONDS}s"
    config["global"]["evaluation_interval"] = f"{SCRAPE_SECONDS}s"
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(targets) <= set(jobs), f"jobs in prometheus.yml: {sorted(jobs)}"
    for name, target in targets.items():
        jobs[name]["static_configs"] = [{"targets": [target]}]
    config["rule_files"] = [
        str(PROMETHEUS_DIR / pattern) if not Path(pattern).is_absolute() else pattern
        for pattern in config.get("rule_files", [])
    ]
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


class Stack:
    def __init__(self, prometheus: str, pushgateway: str, erp: str) -> None:
        self.prometheus, self.pushgateway, self.erp = prometheus, pushgateway, erp

    def query(self, expr: str) -> list[dict[str, Any]]:
        reply = httpx.get(f"{self.prometheus}/api/v1/query", params={"query": expr}, timeout=10)
        body = reply.json()
        assert reply.status_code == 200, f"{expr}: {body}"
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    def query_range(self, expr: str, seconds: int = 120) -> list[dict[str, Any]]:
        now = time.time()
        reply = httpx.get(
            f"{self.prometheus}/api/v1/query_range",
            params={"query": expr, "start": now - seconds, "end": now, "step": "2s"},
            timeout=10,
        )
        body = reply.json()
        assert reply.status_code == 200, f"{expr}: {body}"
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    def wait_for(self, expr: str, timeout: float = 30) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = self.query(expr)
            if result:
                return result
            time.sleep(0.5)
        raise AssertionError(f"no data for {expr} within {timeout} s")


def little_load(url: str, seconds: float) -> int:
    """Every persona's kind of request for ``seconds``: reads, a journal posting, a stock
    receipt, a failed login and a 404, so that every panel has something to show."""
    sent = 0
    with httpx.Client(base_url=url, timeout=10) as client:
        tokens = {}
        for role in ("sales", "accounting", "warehouse", "admin"):
            reply = client.post(
                "/api/v1/auth/login",
                json={"email": f"{role}@valeo.test", "password": DEMO_PASSWORD},
            )
            assert reply.status_code == 200, reply.text
            tokens[role] = {"Authorization": f"Bearer {reply.json()['access_token']}"}
        refused = client.post(
            "/api/v1/auth/login", json={"email": "sales@valeo.test", "password": "wrong-pass-1"}
        )
        assert refused.status_code == 401
        warehouse = client.get("/api/v1/warehouses", headers=tokens["warehouse"]).json()[0]["id"]
        articles = client.get("/api/v1/articles", headers=tokens["warehouse"]).json()["items"]
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for path, role in (
                ("/api/v1/customers", "sales"),
                ("/api/v1/reports/trial-balance", "accounting"),
                ("/api/v1/stock/levels", "warehouse"),
                ("/api/v1/nothing-here", "sales"),
            ):
                client.get(path, headers=tokens[role])
            posted = client.post(
                "/api/v1/journal-entries",
                headers=tokens["accounting"],
                json={
                    "document_number": f"OPS-{sent}",
                    "document_date": time.strftime("%Y-%m-%d"),
                    "posting_date": time.strftime("%Y-%m-%d"),
                    "text": "Barverkauf",
                    # 8400 is an automatic account: the entry books its 19 % USt itself.
                    "lines": [
                        {"account": 1000, "debit": "119.00"},
                        {"account": 8400, "credit": "100.00"},
                    ],
                    "post": True,
                },
            )
            assert posted.status_code == 201, posted.text
            received = client.post(
                "/api/v1/stock/receipts",
                headers=tokens["warehouse"],
                json={
                    "article_id": articles[0]["id"],
                    "warehouse_id": warehouse,
                    "quantity": 2,
                    "reference": "OPS-WE",
                },
            )
            assert received.status_code == 201, received.text
            sent += 6
            time.sleep(0.2)
    return sent


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("ops-stack")
    ports = {name: free_port() for name in ("prometheus", "pushgateway", "node")}
    started: list[Process] = []
    server = LiveServer(load(ROOT), workdir / "erp")
    try:
        server.start()
        started.append(
            Process(
                [
                    "prometheus-pushgateway",
                    f"--web.listen-address=127.0.0.1:{ports['pushgateway']}",
                    "--persistence.file=",  # Debian's default persists to /var/lib
                ],
                workdir / "pushgateway",
                f"http://127.0.0.1:{ports['pushgateway']}/-/ready",
            )
        )
        started.append(
            Process(
                [
                    "prometheus-node-exporter",
                    f"--web.listen-address=127.0.0.1:{ports['node']}",
                    "--collector.disable-defaults",
                    "--collector.cpu",
                    "--collector.meminfo",
                ],
                workdir / "node",
                f"http://127.0.0.1:{ports['node']}/metrics",
            )
        )
        config = prometheus_config(
            {
                "valeo": f"127.0.0.1:{server.port}",
                "pushgateway": f"127.0.0.1:{ports['pushgateway']}",
                "node": f"127.0.0.1:{ports['node']}",
            },
            workdir / "prometheus.yml",
        )
        started.append(
            Process(
                [
                    "prometheus",
                    f"--config.file={config}",
                    f"--storage.tsdb.path={workdir / 'prometheus' / 'data'}",
                    f"--web.listen-address=127.0.0.1:{ports['prometheus']}",
                    "--log.level=warn",
                ],
                workdir / "prometheus",
                f"http://127.0.0.1:{ports['prometheus']}/-/ready",
            )
        )
        yield Stack(
            f"http://127.0.0.1:{ports['prometheus']}",
            f"http://127.0.0.1:{ports['pushgateway']}",
            server.url,
        )
    finally:
        for process in reversed(started):
            process.stop()
        server.stop()


@pytest.fixture(scope="module")
def published(stack: Stack) -> Stack:
    """A real run's summary published through the command line, the ERP under load."""
    done = subprocess.run(
        [sys.executable, "-m", "quality", "publish", str(RUN_SUMMARY), "--url", stack.pushgateway],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "published" in done.stderr
    little_load(stack.erp, LOAD_SECONDS)
    stack.wait_for('valeo_quality_run_success{job="valeo_quality"}')
    stack.wait_for("valeo_journal_postings_total")
    return stack


def test_every_target_is_scraped(published: Stack) -> None:
    jobs = {r["metric"]["job"]: r["value"][1] for r in published.query("up")}
    assert jobs == {"valeo": "1", "pushgateway": "1", "node": "1"}


def test_every_rule_loads_and_evaluates(published: Stack) -> None:
    groups = httpx.get(f"{published.prometheus}/api/v1/rules", timeout=10).json()["data"]["groups"]
    rules = [rule for group in groups for rule in group["rules"]]
    assert rules, "no rules loaded from ops/prometheus/prometheus.yml"
    unhealthy = [(r["name"], r.get("lastError")) for r in rules if r["health"] != "ok"]
    assert not unhealthy


def dashboard_files() -> list[Path]:
    files = sorted((ROOT / "ops" / "grafana" / "dashboards").glob("*.json"))
    assert len(files) == 2
    return files


@pytest.mark.parametrize("path", dashboard_files(), ids=lambda p: p.stem)
def test_every_panel_query_returns_data(published: Stack, path: Path) -> None:
    dashboard = json.loads(path.read_text(encoding="utf-8"))
    queries = dashboards.panel_queries(dashboard)
    assert queries
    empty = []
    for query in queries:
        expr = dashboards.substitute(query.expr, dashboards.variables_for_test())
        found = published.query(expr) if query.instant else published.query_range(expr)
        if not found:
            empty.append(f"{query.title} [{query.ref_id}]: {expr}")
    assert not empty, "panels without data:\n" + "\n".join(empty)


def test_a_push_replaces_its_branch_group(published: Stack) -> None:
    summary = RunSummary.from_json(json.loads(RUN_SUMMARY.read_text(encoding="utf-8")))
    branch = "ops-test/replace"
    first = replace(summary, branch=branch)
    assert publish.publish(first, published.pushgateway).ok
    gates = f'valeo_quality_gate_passed{{branch="{branch}"}}'
    before = published.wait_for(gates)
    fewer = replace(first, gates=first.gates[:1])
    assert publish.publish(fewer, published.pushgateway).ok
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and len(published.query(gates)) != 1:
        time.sleep(0.5)
    assert len(before) > 1
    assert len(published.query(gates)) == 1  # the group was replaced, not merged into


def test_stale_groups_are_removed_and_the_fresh_one_kept(published: Stack) -> None:
    summary = RunSummary.from_json(json.loads(RUN_SUMMARY.read_text(encoding="utf-8")))
    assert publish.publish(
        replace(summary, branch="ops-test/merged-long-ago"), published.pushgateway
    ).ok
    later = time.time() + timedelta(days=31).total_seconds()
    result = publish.publish(
        replace(summary, branch="ops-test/current"),
        published.pushgateway,
        stale_after=timedelta(days=30),
        clock=lambda: later,
    )
    assert result.ok, result.error
    assert {"branch": "ops-test/merged-long-ago"} in result.removed_groups
    assert {"branch": "ops-test/current"} not in result.removed_groups
    groups = httpx.get(f"{published.pushgateway}/api/v1/metrics", timeout=10).json()["data"]
    branches = {g["labels"].get("branch") for g in groups}
    assert "ops-test/current" in branches
    assert "ops-test/merged-long-ago" not in branches
