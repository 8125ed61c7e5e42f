"""Warehouse staff: look up articles and stock, book receipts and issues, check orders, and
ship confirmed sales orders (each to exactly one user: load.personas.flow)."""

from __future__ import annotations

import random

from locust import task

from load.personas.common import PAGE_SIZE, ApiUser, today
from load.personas.flow import DELIVERIES


class WarehouseUser(ApiUser):
    role = "warehouse"
    weight = 2
    reads_customers = False

    def on_start(self) -> None:
        super().on_start()
        page = self.get_json("/api/v1/articles", "/api/v1/articles", limit=PAGE_SIZE)
        self.article_ids = [int(a["id"]) for a in page["items"]] if page else []
        stores = self.get_json("/api/v1/warehouses", "/api/v1/warehouses") or []
        # The main warehouse holds the demo's opening stock: issues there never run dry.
        main = [s for s in stores if s["code"] == "HL"] or stores
        self.warehouse_id = int(main[0]["id"]) if main else 1
        self.to_ship: list[int] = []  # confirmed orders this user took

    @task(1)
    def confirmed_orders(self) -> None:
        page = self.get_json(
            "/api/v1/sales-orders", "/api/v1/sales-orders", status="confirmed", limit=PAGE_SIZE
        )
        if page:
            self.to_ship += DELIVERIES.take((int(o["id"]) for o in page["items"]), self.partition())

    @task(2)
    def deliver(self) -> None:
        if not self.to_ship:
            self.confirmed_orders()  # one request either way
            return
        order = self.to_ship.pop(0)
        self.post_json(
            f"/api/v1/sales-orders/{order}/deliveries",
            "/api/v1/sales-orders/{order_id}/deliveries",
            {"delivery_date": today(), "lines": None},
        )

    def article(self) -> int:
        return random.choice(self.article_ids) if self.article_ids else 1

    @task(3)
    def articles(self) -> None:
        self.get_json("/api/v1/articles", "/api/v1/articles", limit=PAGE_SIZE)

    @task(2)
    def open_article(self) -> None:
        self.get_json(f"/api/v1/articles/{self.article()}", "/api/v1/articles/{article_id}")

    @task(3)
    def levels(self) -> None:
        self.get_json("/api/v1/stock/levels", "/api/v1/stock/levels", article_id=self.article())

    @task(1)
    def movements(self) -> None:
        self.get_json("/api/v1/stock/movements", "/api/v1/stock/movements", limit=PAGE_SIZE)

    @task(1)
    def purchase_orders(self) -> None:
        self.get_json("/api/v1/purchase-orders", "/api/v1/purchase-orders", limit=PAGE_SIZE)

    @task(2)
    def receive(self) -> None:
        self.post_json(
            "/api/v1/stock/receipts",
            "/api/v1/stock/receipts",
            {
                "article_id": self.article(),
                "warehouse_id": self.warehouse_id,
                "quantity": random.randint(2, 5),
                "reference": "LOAD-WE",
            },
        )

    @task(2)
    def issue(self) -> None:
        self.post_json(
            "/api/v1/stock/issues",
            "/api/v1/stock/issues",
            {
                "article_id": self.article(),
                "warehouse_id": self.warehouse_id,
                "quantity": 1,
                "reference": "LOAD-WA",
            },
        )
