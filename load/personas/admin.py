"""An administrator: looks after accounts and audits customer changes."""

from __future__ import annotations

import random

from locust import task

from load.personas.common import PAGE_SIZE, ApiUser


class AdminUser(ApiUser):
    role = "admin"
    weight = 1

    @task(2)
    def list_users(self) -> None:
        page = self.get_json("/api/v1/users", "/api/v1/users", limit=PAGE_SIZE)
        if page and page["items"]:
            self.user_ids = [int(item["id"]) for item in page["items"]]

    @task(2)
    def open_user(self) -> None:
        user_id = random.choice(getattr(self, "user_ids", [1]))
        self.get_json(f"/api/v1/users/{user_id}", "/api/v1/users/{user_id}")

    @task(2)
    def customer_history(self) -> None:
        self.get_json(
            f"/api/v1/customers/{self.any_customer()}/history",
            "/api/v1/customers/{customer_id}/history",
        )

    @task(1)
    def list_opportunities(self) -> None:
        self.get_json("/api/v1/opportunities", "/api/v1/opportunities", limit=PAGE_SIZE)
