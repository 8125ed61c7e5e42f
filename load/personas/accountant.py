"""An accountant: books manual entries, reverses some, reads the journal and the reports,
invoices delivered sales orders and books payments on open invoices (each order and invoice
to exactly one user: load.personas.flow)."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from decimal import Decimal

from locust import task

from load.personas.common import PAGE_SIZE, ApiUser, today
from load.personas.flow import INVOICING, PAYMENTS, instalment, open_amounts, uninvoiced


class AccountantUser(ApiUser):
    role = "accounting"
    weight = 2

    def on_start(self) -> None:
        super().on_start()
        self.entry_ids: list[int] = []
        self.own_entries: list[int] = []  # posted by this user, not reversed yet
        self.to_invoice: list[int] = []  # delivered orders this user took
        self.to_collect: dict[int, Decimal] = {}  # invoices this user took → open amount
        self.rng = random.Random()

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

    @task(1)
    def delivered_orders(self) -> None:
        page = self.get_json(
            "/api/v1/sales-orders", "/api/v1/sales-orders", status="delivered", limit=PAGE_SIZE
        )
        if page:
            self.to_invoice += INVOICING.take(uninvoiced(page["items"]), self.partition())

    @task(2)
    def invoice_order(self) -> None:
        if not self.to_invoice:
            self.delivered_orders()  # one request either way
            return
        order = self.to_invoice.pop(0)
        invoice = self.post_json(
            f"/api/v1/sales-orders/{order}/invoices",
            "/api/v1/sales-orders/{order_id}/invoices",
            {"invoice_date": today()},
        )
        if invoice and PAYMENTS.take([int(invoice["id"])], self.partition()):
            self.to_collect[int(invoice["id"])] = Decimal(invoice["open_amount"])

    @task(1)
    def open_invoices(self) -> None:
        page = self.get_json("/api/v1/invoices", "/api/v1/invoices", status="open", limit=PAGE_SIZE)
        if page:
            amounts = open_amounts(page["items"])
            for invoice in PAYMENTS.take(amounts, self.partition()):
                self.to_collect[invoice] = amounts[invoice]

    @task(2)
    def book_payment(self) -> None:
        if not self.to_collect:
            self.open_invoices()  # one request either way
            return
        invoice, open_amount = next(iter(self.to_collect.items()))
        amount = instalment(open_amount, self.rng)
        paid = self.post_json(
            f"/api/v1/invoices/{invoice}/payments",
            "/api/v1/invoices/{invoice_id}/payments",
            {"amount": f"{amount:.2f}", "payment_date": today()},
        )
        if paid is None or amount == open_amount:
            del self.to_collect[invoice]
        else:
            self.to_collect[invoice] = open_amount - amount
