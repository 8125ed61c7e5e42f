"""A shop for API tests of order-to-cash: company invoice data, a customer, two stocked
articles and a user per role."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from erp.auth.models import Role
from tests.conftest import Account, AccountFactory
from tests.unit.sales.conftest import COMPANY

DAY = "2026-03-02"


def ok(reply: Any, status: int = 201) -> Any:
    assert reply.status_code == status, reply.text
    return reply.json()


def problem(reply: Any, status: int) -> dict[str, Any]:
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = reply.json()
    return body


class Shop:
    """A company with invoice data, a customer, two stocked articles and a user per role."""

    def __init__(self, client: TestClient, make_account: AccountFactory) -> None:
        self.client = client
        self.admin: Account = make_account(Role.admin)
        self.sales: Account = make_account(Role.sales)
        self.warehouse: Account = make_account(Role.warehouse)
        self.accounting: Account = make_account(Role.accounting)
        ok(client.patch("/api/v1/company", json=COMPANY, headers=self.admin.headers), 200)
        self.customer = self.post(
            "/customers",
            self.sales,
            {
                "name": "Müller GmbH",
                "street": "Hauptstr. 1",
                "postal_code": "10115",
                "city": "Berlin",
                "credit_limit": "5000.00",
            },
        )
        self.store = self.post("/warehouses", self.admin, {"code": "HL", "name": "Hauptlager"})
        self.drill = self.article("BOHRER-8", "19.99", 19)
        self.coffee = self.article("KAFFEE-1KG", "12.49", 7)

    def post(self, path: str, who: Account, body: Any = None, status: int = 201) -> Any:
        return ok(self.client.post(f"/api/v1{path}", json=body, headers=who.headers), status)

    def get(self, path: str, who: Account, **params: Any) -> Any:
        return ok(self.client.get(f"/api/v1{path}", params=params, headers=who.headers), 200)

    def article(self, sku: str, price: str, rate: int) -> dict[str, Any]:
        article: dict[str, Any] = self.post(
            "/articles",
            self.admin,
            {
                "sku": sku,
                "name": f"Artikel {sku}",
                "unit": "Stk",
                "sales_price": price,
                "purchase_price": "5.00",
                "vat_rate": rate,
            },
        )
        self.post(
            "/stock/receipts",
            self.admin,
            {
                "article_id": article["id"],
                "warehouse_id": self.store["id"],
                "quantity": 50,
                "reference": "AB-1",
            },
        )
        return article

    def order(self, *lines: tuple[dict[str, Any], int]) -> dict[str, Any]:
        order: dict[str, Any] = self.post(
            "/sales-orders",
            self.sales,
            {
                "customer_id": self.customer["id"],
                "warehouse_id": self.store["id"],
                "order_date": DAY,
                "customer_reference": "PO 4711",
                "lines": [{"article_id": a["id"], "quantity": q} for a, q in lines],
            },
        )
        return order

    def level(self, article: dict[str, Any]) -> tuple[int, int]:
        rows = self.get("/stock/levels", self.admin, article_id=article["id"])
        return rows[0]["on_hand"], rows[0]["reserved"]


@pytest.fixture
def shop(client: TestClient, make_account: AccountFactory) -> Shop:
    return Shop(client, make_account)
