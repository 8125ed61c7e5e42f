"""What every persona shares: a demo login, pacing at the declared rate, route-template names.

Each task sends exactly one request, so the declared load (users × ``--rate-per-user``
tasks per second) is also the request rate the run must reach.
"""

from __future__ import annotations

import random
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import gevent
from locust import FastHttpUser, constant_throughput, events
from locust.argument_parser import LocustArgumentParser

from load.personas.flow import Partition

DEMO_PASSWORD = "valeo-demo-2026"  # erp.demo: the load runs against a seeded database
CSRF_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
PAGE_SIZE = 20
BERLIN = ZoneInfo("Europe/Berlin")  # the ERP's business dates are German calendar days


@events.init_command_line_parser.add_listener
def _declare_options(parser: LocustArgumentParser, **_kw: Any) -> None:
    parser.add_argument(
        "--rate-per-user",
        type=float,
        default=1.0,
        help="tasks (= requests) per second per user: Locust's constant_throughput",
    )


class PacedUser(FastHttpUser):
    """A user working at the declared rate; subclasses set ``role`` and their tasks."""

    abstract = True
    role = "sales"

    def on_start(self) -> None:
        rate = self.environment.parsed_options.rate_per_user
        self._pacing = constant_throughput(rate)
        self.customer_total = 0
        # Users spawned on the same tick would otherwise fire in lockstep forever (pacing keeps
        # each user's phase): a random phase spreads the declared rate evenly over time.
        gevent.sleep(random.uniform(0, 1 / rate))

    def wait_time(self) -> float:
        return float(self._pacing(self))

    def random_customer_offset(self) -> int:
        return random.randrange(max(1, self.customer_total - PAGE_SIZE))

    def remember_customers(self, page: dict[str, Any]) -> list[int]:
        self.customer_total = int(page["total"])
        return [int(item["id"]) for item in page["items"]]


class ApiUser(PacedUser):
    """Talks to the JSON API with a bearer token of its role's demo account."""

    abstract = True
    reads_customers = True  # roles without CRM access (warehouse) must not ask: a 403 fails

    def on_start(self) -> None:
        super().on_start()
        with self.client.post(
            "/api/v1/auth/login",
            json={"email": f"{self.role}@valeo.test", "password": DEMO_PASSWORD},
            name="/api/v1/auth/login",
            catch_response=True,
        ) as reply:
            if reply.status_code != 200:
                reply.failure(f"login as {self.role} failed: {reply.status_code}")
                self.stop()
                return
            self.headers = {"Authorization": f"Bearer {reply.json()['access_token']}"}
        self.customer_ids = self.fetch_customer_ids() if self.reads_customers else []

    def get_json(self, path: str, name: str, **params: Any) -> Any:
        with self.client.get(
            path, params=params or None, headers=self.headers, name=name, catch_response=True
        ) as reply:
            if reply.status_code != 200:
                reply.failure(f"{reply.status_code}: {reply.text[:200]}")
                return None
            return reply.json()

    def post_json(self, path: str, name: str, body: dict[str, Any], expect: int = 201) -> Any:
        with self.client.post(
            path, json=body, headers=self.headers, name=name, catch_response=True
        ) as reply:
            if reply.status_code != expect:
                reply.failure(f"{reply.status_code}: {reply.text[:200]}")
                return None
            return reply.json()

    def fetch_customer_ids(self) -> list[int]:
        page = self.get_json(
            "/api/v1/customers",
            "/api/v1/customers",
            limit=PAGE_SIZE,
            offset=self.random_customer_offset(),
        )
        return self.remember_customers(page) if page else []

    def any_customer(self) -> int:
        return random.choice(self.customer_ids) if self.customer_ids else 1

    def partition(self) -> Partition:
        """This Locust process's share of orders and invoices (see load.personas.flow)."""
        options = self.environment.parsed_options
        return Partition.of(
            getattr(options, "processes", 0), getattr(self.environment.runner, "worker_index", 0)
        )


def today() -> str:
    return datetime.now(BERLIN).date().isoformat()
