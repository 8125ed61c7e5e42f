"""Procure-to-pay through the API on SQLite and PostgreSQL, and its atomicity: a crash
between the stock level and the ledger write leaves nothing of the receipt behind."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from erp.auth.models import Role
from erp.stock import ledger
from tests.conftest import Account, AccountFactory

DAY = "2026-03-02"


class Staff:
    def __init__(self, make_account: AccountFactory) -> None:
        self.warehouse: Account = make_account(Role.warehouse)
        self.accounting: Account = make_account(Role.accounting)
        self.admin: Account = make_account(Role.admin)


@pytest.fixture
def staff(make_account: AccountFactory) -> Staff:
    return Staff(make_account)


def call(
    client: TestClient, who: Account, method: str, path: str, status: int, body: Any = None
) -> Any:
    reply = client.request(method, f"/api/v1{path}", json=body, headers=who.headers)
    assert reply.status_code == status, reply.text
    return reply.json() if reply.content else None


def placed_order(
    client: TestClient, staff: Staff, quantity: int
) -> tuple[dict[str, Any], int, int]:
    """(order, article id, warehouse id) for a placed order of one article."""
    supplier = call(client, staff.accounting, "POST", "/suppliers", 201, {"name": "Nord AG"})
    article = call(
        client,
        staff.admin,
        "POST",
        "/articles",
        201,
        {"sku": "ROHR-20", "name": "Rohr 20 mm", "unit": "m", "sales_price": "3.00",
         "purchase_price": "1.25", "vat_rate": 19},
    )  # fmt: skip
    store = call(
        client, staff.admin, "POST", "/warehouses", 201, {"code": "HL", "name": "Hauptlager"}
    )
    body = {
        "supplier_id": supplier["id"],
        "order_date": DAY,
        "lines": [{"article_id": article["id"], "quantity": quantity}],
    }
    order = call(client, staff.warehouse, "POST", "/purchase-orders", 201, body)
    order = call(client, staff.warehouse, "POST", f"/purchase-orders/{order['id']}/place", 200)
    return order, article["id"], store["id"]


def receive(
    client: TestClient,
    staff: Staff,
    order: dict[str, Any],
    store: int,
    quantity: int,
    status: int = 201,
) -> Any:
    body = {
        "warehouse_id": store,
        "receipt_date": DAY,
        "lines": [{"order_line_id": order["lines"][0]["id"], "quantity": quantity}],
    }
    return call(
        client, staff.warehouse, "POST", f"/purchase-orders/{order['id']}/receipts", status, body
    )


def on_hand(client: TestClient, staff: Staff, article: int) -> int:
    levels = call(client, staff.warehouse, "GET", f"/stock/levels?article_id={article}", 200)
    return sum(level["on_hand"] for level in levels)


def test_order_receive_invoice_pay(client: TestClient, staff: Staff) -> None:
    order, article, store = placed_order(client, staff, 200)
    receive(client, staff, order, store, 120)
    receive(client, staff, order, store, 81, status=409)  # over-receipt: 80 are open
    receive(client, staff, order, store, 80)
    assert on_hand(client, staff, article) == 200
    invoice = call(
        client, staff.accounting, "POST", f"/purchase-orders/{order['id']}/invoices", 201,
        {"supplier_reference": "N-77", "invoice_date": DAY},
    )  # fmt: skip
    assert (invoice["net_total"], invoice["tax_total"], invoice["gross_total"]) == (
        "250.00",
        "47.50",
        "297.50",
    )
    payments = f"/incoming-invoices/{invoice['id']}/payments"
    call(client, staff.accounting, "POST", payments, 201, {"amount": "200.00", "payment_date": DAY})
    open_items = call(
        client, staff.accounting, "GET", "/reports/open-items?kind=kreditor&as_of=2026-03-31", 200
    )
    assert open_items["total"] == "97.50"
    call(client, staff.accounting, "POST", payments, 201, {"amount": "97.50", "payment_date": DAY})
    open_items = call(
        client, staff.accounting, "GET", "/reports/open-items?kind=kreditor&as_of=2026-03-31", 200
    )
    assert open_items["accounts"] == []
    trial = call(
        client,
        staff.accounting,
        "GET",
        "/reports/trial-balance?date_from=2026-01-01&date_to=2026-03-31",
        200,
    )
    assert (trial["debit"], trial["closing"]) == (trial["credit"], "0.00")
    value = call(client, staff.accounting, "GET", "/stock/inventory-value", 200)
    assert value["total"] == "250.00"  # 200 m at the moving average of 1.25


def test_a_crash_between_stock_and_ledger_leaves_nothing(
    client: TestClient, staff: Staff, monkeypatch: pytest.MonkeyPatch
) -> None:
    order, article, store = placed_order(client, staff, 50)

    def crash() -> None:
        raise SystemError("the process died after writing the stock level")

    monkeypatch.setattr(ledger, "_after_level_write", crash)
    receive(client, staff, order, store, 20, status=500)
    monkeypatch.setattr(ledger, "_after_level_write", None)
    assert on_hand(client, staff, article) == 0
    movements = call(client, staff.warehouse, "GET", f"/stock/movements?article_id={article}", 200)
    assert movements["total"] == 0
    after = call(client, staff.warehouse, "GET", f"/purchase-orders/{order['id']}", 200)
    assert after["lines"][0]["received_quantity"] == 0
    assert receive(client, staff, order, store, 20)["number"] == "WE2026-00001"  # no gap
