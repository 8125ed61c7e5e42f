"""The resilience runs' steady load: every request of every user, recorded one line each.

Runs in Locust's own virtual environment (see load/). Users read (customers, articles, the
trial balance) and write (journal postings, stock receipts) at ``--rate-per-user``; each
request goes out on a connection of its own (``Connection: close``), so a killed worker can
only take the requests it is serving with it, not idle keep-alive connections — what a
front proxy that retries its upstream connections shows its users. Every outcome is
appended to ``VALEO_RESILIENCE_EVENTS`` as JSON: start (Unix s), duration (ms), route,
status (0: no response), whether it was a problem+json body, and the error.
"""

from __future__ import annotations

import json
import os
import random
from datetime import date
from pathlib import Path
from typing import Any

import gevent
from locust import FastHttpUser, constant_throughput, events, task
from locust.argument_parser import LocustArgumentParser

DEMO_PASSWORD = "valeo-demo-2026"  # erp.demo
EVENTS_ENV = "VALEO_RESILIENCE_EVENTS"
CLOSE = {"Connection": "close"}
_events = Path(os.environ[EVENTS_ENV]).open("a", buffering=1, encoding="utf-8")  # noqa: SIM115


@events.init_command_line_parser.add_listener
def _declare_options(parser: LocustArgumentParser, **_kw: Any) -> None:
    parser.add_argument("--rate-per-user", type=float, default=2.0)


@events.request.add_listener
def _record(
    name: str,
    response_time: float,
    response: Any,
    exception: BaseException | None,
    start_time: float,
    **_kw: Any,
) -> None:
    status = int(getattr(response, "status_code", 0) or 0)
    headers = getattr(response, "headers", None) or {}
    line = {
        "t": round(start_time, 4),
        "ms": round(response_time, 2),
        "route": name,
        "status": status,
        "problem": str(headers.get("content-type", "")).startswith("application/problem+json"),
        "error": None if exception is None else f"{type(exception).__name__}: {exception}"[:300],
    }
    _events.write(json.dumps(line) + "\n")


class SteadyUser(FastHttpUser):
    abstract = True
    role = "sales"

    def on_start(self) -> None:
        self._pacing = constant_throughput(self.environment.parsed_options.rate_per_user)
        self.headers = dict(CLOSE)
        # The server may be restarting when a user starts: keep trying, without counting.
        while True:
            with self.client.post(
                "/api/v1/auth/login",
                json={"email": f"{self.role}@valeo.test", "password": DEMO_PASSWORD},
                headers=CLOSE,
                name="login",
                catch_response=True,
            ) as reply:
                if reply.status_code == 200:
                    token = reply.json()["access_token"]
                    self.headers["Authorization"] = f"Bearer {token}"
                    break
                reply.success()  # not part of the measured traffic
            gevent.sleep(0.5)
        gevent.sleep(random.uniform(0, 0.5))

    def wait_time(self) -> float:
        return float(self._pacing(self))

    def get(self, path: str, name: str) -> None:
        self.client.get(path, headers=self.headers, name=name)


class Sales(SteadyUser):
    role = "sales"

    @task(3)
    def customers(self) -> None:
        self.get(f"/api/v1/customers?limit=20&offset={random.randrange(0, 200)}", "customers")

    @task(1)
    def articles(self) -> None:
        self.get("/api/v1/articles?limit=20", "articles")


class Accounting(SteadyUser):
    role = "accounting"

    @task(2)
    def trial_balance(self) -> None:
        self.get("/api/v1/reports/trial-balance", "trial-balance")

    @task(1)
    def post_entry(self) -> None:
        net = random.randint(10, 500)
        today = date.today().isoformat()  # noqa: DTZ011  (the server's calendar day)
        self.client.post(
            "/api/v1/journal-entries",
            headers=self.headers,
            name="post-entry",
            json={
                "document_number": f"RES-{random.randint(1, 99999)}",
                "document_date": today,
                "posting_date": today,
                "text": "Barverkauf",
                "lines": [
                    {"account": 1000, "debit": f"{net * 119 // 100}.{net * 119 % 100:02d}"},
                    {"account": 8400, "credit": f"{net}.00"},
                ],
                "post": True,
            },
        )


class Warehouse(SteadyUser):
    role = "warehouse"

    def on_start(self) -> None:
        super().on_start()
        self.warehouse_id, self.article_ids = 1, [1]
        reply = self.client.get("/api/v1/warehouses", headers=self.headers, name="warehouses")
        if reply.status_code == 200 and reply.json():
            self.warehouse_id = int(reply.json()[0]["id"])
        reply = self.client.get("/api/v1/articles?limit=20", headers=self.headers, name="articles")
        if reply.status_code == 200:
            self.article_ids = [int(a["id"]) for a in reply.json()["items"]] or [1]

    @task(2)
    def levels(self) -> None:
        self.get("/api/v1/stock/levels?limit=20", "stock-levels")

    @task(1)
    def receipt(self) -> None:
        self.client.post(
            "/api/v1/stock/receipts",
            headers=self.headers,
            name="stock-receipt",
            json={
                "article_id": random.choice(self.article_ids),
                "warehouse_id": self.warehouse_id,
                "quantity": random.randint(1, 3),
                "reference": "RES-WE",
            },
        )
