"""Procure-to-pay through the API, as the roles split it: warehouse orders and receives,
accounting books the invoice and pays it; the OpenAPI links walk the same way."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from erp.auth.models import Role
from tests.conftest import Account, AccountFactory

DAY = "2026-03-02"


def ok(reply: Any, status: int = 201) -> Any:
    assert reply.status_code == status, reply.text
    return reply.json()


def test_the_whole_flow_by_role(client: TestClient, make_account: AccountFactory) -> None:
    warehouse: Account = make_account(Role.warehouse)
    accounting: Account = make_account(Role.accounting)
    admin: Account = make_account(Role.admin)
    supplier = ok(
        client.post("/api/v1/suppliers", json={"name": "Nord AG"}, headers=accounting.headers)
    )
    assert supplier["kreditor_account"] == 70000
    article = ok(
        client.post(
            "/api/v1/articles",
            json={
                "sku": "TEE-100",
                "name": "Tee",
                "unit": "Stk",
                "sales_price": "4.00",
                "purchase_price": "2.50",
                "vat_rate": 7,
            },
            headers=admin.headers,
        )
    )
    store = ok(
        client.post(
            "/api/v1/warehouses", json={"code": "HL", "name": "Hauptlager"}, headers=admin.headers
        )
    )
    order = ok(
        client.post(
            "/api/v1/purchase-orders",
            json={
                "supplier_id": supplier["id"],
                "order_date": DAY,
                "lines": [{"article_id": article["id"], "quantity": 40}],
            },
            headers=warehouse.headers,
        )
    )
    assert (order["status"], order["number"], order["lines"][0]["unit_price"]) == (
        "draft",
        None,
        "2.50",
    )
    placed = ok(
        client.post(f"/api/v1/purchase-orders/{order['id']}/place", headers=warehouse.headers), 200
    )
    assert placed["number"] == "B2026-00001"
    line_id = placed["lines"][0]["id"]
    receipt = ok(
        client.post(
            f"/api/v1/purchase-orders/{order['id']}/receipts",
            json={
                "warehouse_id": store["id"],
                "receipt_date": DAY,
                "lines": [{"order_line_id": line_id, "quantity": 40}],
            },
            headers=warehouse.headers,
        )
    )
    assert (
        client.get(
            f"/api/v1/goods-receipts/{receipt['id']}", headers=accounting.headers
        ).status_code
        == 200
    )
    refused = client.post(
        f"/api/v1/purchase-orders/{order['id']}/invoices",
        json={"supplier_reference": "N-1", "invoice_date": DAY},
        headers=warehouse.headers,
    )
    assert refused.status_code == 403  # the warehouse does not book invoices
    invoice = ok(
        client.post(
            f"/api/v1/purchase-orders/{order['id']}/invoices",
            json={"supplier_reference": "N-1", "invoice_date": DAY},
            headers=accounting.headers,
        )
    )
    assert (invoice["net_total"], invoice["tax_total"], invoice["gross_total"]) == (
        "100.00",
        "7.00",
        "107.00",
    )
    url = f"/api/v1/incoming-invoices/{invoice['id']}/payments"
    too_much = client.post(
        url, json={"amount": "107.01", "payment_date": DAY}, headers=accounting.headers
    )
    assert too_much.status_code == 409
    assert (
        client.post(
            url, json={"amount": "0.00", "payment_date": DAY}, headers=accounting.headers
        ).status_code
        == 422
    )
    ok(client.post(url, json={"amount": "107.00", "payment_date": DAY}, headers=accounting.headers))
    paid = ok(
        client.get(f"/api/v1/incoming-invoices/{invoice['id']}", headers=accounting.headers), 200
    )
    assert (paid["status"], paid["paid_total"]) == ("paid", "107.00")
    levels = ok(
        client.get(f"/api/v1/stock/levels?article_id={article['id']}", headers=warehouse.headers),
        200,
    )
    assert [(level["warehouse_id"], level["on_hand"]) for level in levels] == [(store["id"], 40)]


def test_drafts_can_be_deleted_orders_cannot(
    client: TestClient, make_account: AccountFactory
) -> None:
    admin = make_account(Role.admin)
    supplier = ok(
        client.post("/api/v1/suppliers", json={"name": "Süd GmbH"}, headers=admin.headers)
    )
    article = ok(
        client.post(
            "/api/v1/articles",
            json={
                "sku": "A-1",
                "name": "A",
                "unit": "Stk",
                "sales_price": "1.00",
                "purchase_price": "0.50",
                "vat_rate": 19,
            },
            headers=admin.headers,
        )
    )
    body = {
        "supplier_id": supplier["id"],
        "order_date": DAY,
        "lines": [{"article_id": article["id"], "quantity": 1}],
    }
    draft = ok(client.post("/api/v1/purchase-orders", json=body, headers=admin.headers))
    assert (
        client.delete(f"/api/v1/purchase-orders/{draft['id']}", headers=admin.headers).status_code
        == 204
    )
    assert (
        client.get(f"/api/v1/purchase-orders/{draft['id']}", headers=admin.headers).status_code
        == 404
    )
    placed = ok(client.post("/api/v1/purchase-orders", json=body, headers=admin.headers))
    ok(client.post(f"/api/v1/purchase-orders/{placed['id']}/place", headers=admin.headers), 200)
    assert (
        client.delete(f"/api/v1/purchase-orders/{placed['id']}", headers=admin.headers).status_code
        == 409
    )
    nothing = client.post(
        f"/api/v1/purchase-orders/{placed['id']}/invoices",
        json={"supplier_reference": "X-1", "invoice_date": DAY},
        headers=admin.headers,
    )
    assert nothing.status_code == 409
    sales = make_account(Role.sales)
    assert client.get("/api/v1/purchase-orders", headers=sales.headers).status_code == 403
