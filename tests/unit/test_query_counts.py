"""SQL statements per request for the key endpoints: an N+1 regression fails here.

Lists and reports must not issue a statement per row: the same request over more rows runs
the same number of statements. Business operations may touch each line (a reservation is one
conditional UPDATE per line), within a budget per line. Statements are counted, not
timed: they are what a code change controls.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Engine, event

from erp.deps import Services
from tests.unit.sales.shop import DAY, Shop, shop

__all__ = ["shop"]  # the fixture


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(args[2])  # (connection, cursor, statement, …)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


class Counter:
    def __init__(self, shop: Shop, engine: Engine) -> None:
        self.shop, self.engine = shop, engine

    def get(self, path: str, who: Any, **params: Any) -> int:
        with statements(self.engine) as seen:
            self.shop.get(path, who, **params)
        return len(seen)

    def post(self, path: str, who: Any, body: Any = None, status: int = 201) -> int:
        with statements(self.engine) as seen:
            self.shop.post(path, who, body, status)
        return len(seen)


@pytest.fixture
def counter(shop: Shop, services: Services) -> Counter:
    return Counter(shop, services.database.engine)


def add_customers(shop: Shop, count: int) -> list[dict[str, Any]]:
    return [
        shop.post(
            "/customers",
            shop.sales,
            {
                "name": f"Kunde {shop.customer['id']}-{i:03d} GmbH",
                "street": "Weg 1",
                "postal_code": "10115",
                "city": "Berlin",
            },
        )
        for i in range(count)
    ]


def bill_and_half_pay(shop: Shop, customer: dict[str, Any]) -> None:
    order = shop.post(
        "/sales-orders",
        shop.sales,
        {
            "customer_id": customer["id"],
            "warehouse_id": shop.store["id"],
            "order_date": DAY,
            "lines": [{"article_id": shop.drill["id"], "quantity": 1}],
        },
    )
    shop.post(f"/sales-orders/{order['id']}/confirm", shop.sales, status=200)
    shop.post(f"/sales-orders/{order['id']}/deliveries", shop.warehouse, {"delivery_date": DAY})
    invoice = shop.post(
        f"/sales-orders/{order['id']}/invoices", shop.accounting, {"invoice_date": DAY}
    )
    shop.post(
        f"/invoices/{invoice['id']}/payments",
        shop.accounting,
        {"amount": "10.00", "payment_date": DAY},
    )


def test_customer_list_and_page_do_not_grow_with_the_rows(shop: Shop, counter: Counter) -> None:
    add_customers(shop, 2)
    partial = counter.get("/customers", shop.sales, limit=20)
    add_customers(shop, 19)
    few = counter.get("/customers", shop.sales, limit=20)
    one = counter.get(f"/customers/{shop.customer['id']}", shop.sales)
    add_customers(shop, 25)
    many = counter.get("/customers", shop.sales, limit=20)
    assert many == few, f"customer list: {few} statements for 22 rows, {many} for 47"
    # a page that is not full tells the total itself: no count
    assert partial == few - 1
    assert counter.get(f"/customers/{shop.customer['id']}", shop.sales) == one


def test_reports_do_not_grow_with_customers_or_invoices(shop: Shop, counter: Counter) -> None:
    bill_and_half_pay(shop, shop.customer)
    reports: dict[str, tuple[str, dict[str, Any]]] = {
        "trial balance": ("/reports/trial-balance", {"date_from": "2026-01-01"}),
        "open items": ("/reports/open-items", {"kind": "debitor"}),
        "invoices": ("/invoices", {"limit": 50}),
        "sales orders": ("/sales-orders", {"limit": 50}),
    }
    before = {k: counter.get(path, shop.admin, **q) for k, (path, q) in reports.items()}
    for customer in add_customers(shop, 5):
        bill_and_half_pay(shop, customer)
    after = {k: counter.get(path, shop.admin, **q) for k, (path, q) in reports.items()}
    assert after == before, f"statements with 1 open invoice {before}, with 6 {after}"


@pytest.mark.parametrize("step", ["confirm", "deliver", "invoice"])
def test_order_steps_stay_within_a_budget_per_line(shop: Shop, counter: Counter, step: str) -> None:
    def run(lines: int) -> int:
        articles = [shop.article(f"Q-{step.upper()}-{lines}-{i}", "1.00", 19) for i in range(lines)]
        order = shop.post(
            "/sales-orders",
            shop.sales,
            {
                "customer_id": shop.customer["id"],
                "warehouse_id": shop.store["id"],
                "order_date": DAY,
                "lines": [{"article_id": a["id"], "quantity": 1} for a in articles],
            },
        )
        confirm = f"/sales-orders/{order['id']}/confirm"
        if step == "confirm":
            return counter.post(confirm, shop.sales, status=200)
        shop.post(confirm, shop.sales, status=200)
        deliver = (
            f"/sales-orders/{order['id']}/deliveries",
            shop.warehouse,
            {"delivery_date": DAY},
        )
        if step == "deliver":
            return counter.post(*deliver)
        shop.post(*deliver)
        return counter.post(
            f"/sales-orders/{order['id']}/invoices", shop.accounting, {"invoice_date": DAY}
        )

    one, six = run(1), run(6)
    per_line = (six - one) / 5
    # today: reserve = one conditional UPDATE; delivery = one conditional UPDATE (release and
    # issue together) + its ledger line and delivery line
    budget = {"confirm": 1, "deliver": 3, "invoice": 1}[step]
    assert per_line <= budget, f"{step}: {one} statements for 1 line, {six} for 6"
