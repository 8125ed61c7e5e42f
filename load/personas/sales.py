"""Sales: searches and browses customers, opens one, creates opportunities, logs activities,
takes sales orders (a draft on a volume customer) and confirms its own drafts."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from locust import task

from load.personas.common import PAGE_SIZE, ApiUser, today
from load.personas.flow import order_lines, stocked_articles

SEARCH_TERMS = ("GmbH", "Kunde 01", "Bau", "Berlin", "Müller", "10", "AG", "Handel")
SUBJECTS = ("Angebot nachfassen", "Rückruf Einkauf", "Termin vor Ort", "Preisliste senden")


class SalesUser(ApiUser):
    role = "sales"
    weight = 6

    def on_start(self) -> None:
        super().on_start()
        # Sales may not read articles or warehouses: the seeded orders name both.
        page = self.get_json("/api/v1/sales-orders", "/api/v1/sales-orders", limit=100)
        self.article_ids, self.warehouse_id = stocked_articles(page["items"] if page else [])
        self.drafts: list[int] = []  # created by this user, not confirmed yet: only it knows
        self.rng = random.Random()

    @task(1)
    def create_order(self) -> None:
        if not self.article_ids or self.warehouse_id is None:
            self.my_activities()  # nothing to order from: one request either way
            return
        order = self.post_json(
            "/api/v1/sales-orders",
            "/api/v1/sales-orders",
            {
                "customer_id": self.any_customer(),
                "warehouse_id": self.warehouse_id,
                "order_date": today(),
                "customer_reference": f"LOAD-{random.randint(1, 999999)}",
                "lines": order_lines(self.article_ids, self.rng),
            },
        )
        if order:
            self.drafts.append(int(order["id"]))

    @task(1)
    def confirm_order(self) -> None:
        if not self.drafts:
            self.create_order()
            return
        order = self.drafts.pop(0)
        self.post_json(
            f"/api/v1/sales-orders/{order}/confirm",
            "/api/v1/sales-orders/{order_id}/confirm",
            {},
            expect=200,
        )

    @task(3)
    def search_customers(self) -> None:
        self.get_json(
            "/api/v1/customers",
            "/api/v1/customers",
            q=random.choice(SEARCH_TERMS),
            limit=PAGE_SIZE,
        )

    @task(3)
    def browse_customers(self) -> None:
        self.customer_ids = self.fetch_customer_ids() or self.customer_ids

    @task(4)
    def open_customer(self) -> None:
        self.get_json(f"/api/v1/customers/{self.any_customer()}", "/api/v1/customers/{customer_id}")

    @task(2)
    def customer_contacts(self) -> None:
        self.get_json(
            f"/api/v1/customers/{self.any_customer()}/contacts",
            "/api/v1/customers/{customer_id}/contacts",
        )

    @task(1)
    def create_opportunity(self) -> None:
        close = datetime.now(UTC).date() + timedelta(days=random.randint(14, 120))
        self.post_json(
            "/api/v1/opportunities",
            "/api/v1/opportunities",
            {
                "customer_id": self.any_customer(),
                "title": "Rahmenvertrag " + random.choice(("Q1", "Q2", "Q3", "Q4")),
                "expected_revenue": f"{random.randint(10, 900) * 100}.00",
                "close_date": close.isoformat(),
            },
        )

    @task(1)
    def log_activity(self) -> None:
        self.post_json(
            "/api/v1/activities",
            "/api/v1/activities",
            {
                "customer_id": self.any_customer(),
                "kind": random.choice(("call", "meeting", "task", "note")),
                "subject": random.choice(SUBJECTS),
                "due_date": (datetime.now(UTC).date() + timedelta(days=3)).isoformat(),
            },
        )

    @task(1)
    def my_activities(self) -> None:
        self.get_json("/api/v1/me/activities", "/api/v1/me/activities", limit=PAGE_SIZE)

    @task(1)
    def pipeline_summary(self) -> None:
        self.get_json("/api/v1/pipeline/summary", "/api/v1/pipeline/summary")
