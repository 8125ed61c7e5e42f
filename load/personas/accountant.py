"""An accountant: books manual entries, reverses some, reads the journal and the reports."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from locust import task

from load.personas.common import PAGE_SIZE, ApiUser


class AccountantUser(ApiUser):
    role = "accounting"
    weight = 2

    def on_start(self) -> None:
        super().on_start()
        self.entry_ids: list[int] = []
        self.own_entries: list[int] = []  # posted by this user, not reversed yet

    def today(self) -> str:
        return datetime.now(UTC).date().isoformat()

    @task(3)
    def journal(self) -> None:
        page = self.get_json("/api/v1/journal-entries", "/api/v1/journal-entries", limit=PAGE_SIZE)
        if page and page["items"]:
            self.entry_ids = [int(e["id"]) for e in page["items"]]

    @task(2)
    def open_entry(self) -> None:
        if not self.entry_ids:
            self.journal()  # one request either way: the declared rate stays exact
            return
        entry = random.choice(self.entry_ids)
        self.get_json(f"/api/v1/journal-entries/{entry}", "/api/v1/journal-entries/{entry_id}")

    @task(2)
    def post_entry(self) -> None:
        net = random.randint(10, 2000)
        entry = self.post_json(
            "/api/v1/journal-entries",
            "/api/v1/journal-entries",
            {
                "document_number": f"KA-{random.randint(1, 99999)}",
                "document_date": self.today(),
                "posting_date": self.today(),
                "text": "Barverkauf",
                "lines": [
                    {"account": 1000, "debit": f"{net * 119 // 100}.{net * 119 % 100:02d}"},
                    {"account": 8400, "credit": f"{net}.00"},
                ],
                "post": True,
            },
        )
        if entry:
            self.own_entries.append(int(entry["id"]))

    @task(1)
    def reverse_entry(self) -> None:
        if not self.own_entries:
            self.post_entry()
            return
        entry = self.own_entries.pop(0)
        self.post_json(
            f"/api/v1/journal-entries/{entry}/reverse",
            "/api/v1/journal-entries/{entry_id}/reverse",
            {},
        )

    @task(2)
    def trial_balance(self) -> None:
        self.get_json("/api/v1/reports/trial-balance", "/api/v1/reports/trial-balance")

    @task(1)
    def bank_ledger(self) -> None:
        self.get_json("/api/v1/accounts/1200/ledger", "/api/v1/accounts/{account_number}/ledger")

    @task(1)
    def open_items(self) -> None:
        self.get_json("/api/v1/reports/open-items", "/api/v1/reports/open-items", kind="debitor")

    @task(1)
    def ustva(self) -> None:
        today = datetime.now(UTC).date()
        self.get_json(
            "/api/v1/reports/ustva", "/api/v1/reports/ustva", year=today.year, month=today.month
        )
