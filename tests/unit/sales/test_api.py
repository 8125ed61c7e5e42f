"""Order-to-cash through the API, as the roles split it: sales orders, the warehouse ships,
accounting invoices and books the payment; refusals are problem+json naming the rule."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from erp.auth.models import Role
from tests.conftest import AccountFactory
from tests.unit.sales.shop import DAY, Shop, problem, shop

__all__ = ["shop"]  # the fixture


def test_order_to_cash_by_role(shop: Shop) -> None:
    draft = shop.order((shop.drill, 3), (shop.coffee, 10))
    assert (draft["status"], draft["number"], draft["gross_total"]) == ("draft", None, "205.00")
    order = shop.post(f"/sales-orders/{draft['id']}/confirm", shop.sales, status=200)
    assert (order["status"], order["number"]) == ("confirmed", "AU2026-00001")
    assert shop.level(shop.drill) == (50, 3)
    first = shop.post(
        f"/sales-orders/{order['id']}/deliveries",
        shop.warehouse,
        {
            "delivery_date": "2026-03-03",
            "lines": [{"order_line_id": order["lines"][0]["id"], "quantity": 2}],
        },
    )
    assert first["number"] == "LS2026-00001"
    shop.post(
        f"/sales-orders/{order['id']}/deliveries", shop.warehouse, {"delivery_date": "2026-03-04"}
    )
    delivered = shop.get(f"/sales-orders/{order['id']}", shop.warehouse)
    assert delivered["status"] == "delivered"
    to_bill = shop.get("/sales-orders", shop.accounting, billable="true")["items"]
    assert [o["id"] for o in to_bill] == [order["id"]]
    assert shop.get("/sales-orders", shop.accounting, billable="false")["total"] == 0
    assert shop.level(shop.drill) == (47, 0)
    invoice = shop.post(
        f"/sales-orders/{order['id']}/invoices", shop.accounting, {"invoice_date": "2026-03-05"}
    )
    assert (invoice["number"], invoice["service_date"], invoice["due_date"]) == (
        "RE2026-00001",
        "2026-03-04",
        "2026-03-19",
    )
    assert invoice["totals"] == [
        {"rate": 19, "net": "59.97", "tax": "11.39", "gross": "71.36"},
        {"rate": 7, "net": "124.90", "tax": "8.74", "gross": "133.64"},
    ]
    assert (invoice["gross_total"], invoice["open_amount"]) == ("205.00", "205.00")
    paid = shop.post(
        f"/invoices/{invoice['id']}/payments",
        shop.accounting,
        {"amount": "205.00", "payment_date": "2026-03-10"},
    )
    assert paid["number"] == "ZE2026-00001"
    invoice = shop.get(f"/invoices/{invoice['id']}", shop.accounting)
    assert (invoice["status"], invoice["open_amount"], len(invoice["payments"])) == (
        "paid",
        "0.00",
        1,
    )
    open_items = shop.get("/reports/open-items", shop.accounting, kind="debitor")
    assert open_items["accounts"] == []
    assert shop.get("/sales-orders", shop.accounting, billable="true")["total"] == 0
    listed = shop.get("/invoices", shop.accounting, status="paid")
    assert [i["number"] for i in listed["items"]] == ["RE2026-00001"]


def test_refusals_name_the_rule(shop: Shop) -> None:
    big = shop.order((shop.coffee, 5), (shop.drill, 51))
    refused = problem(
        shop.client.post(f"/api/v1/sales-orders/{big['id']}/confirm", headers=shop.sales.headers),
        409,
    )
    assert refused["detail"] == "line 2: 51 Stk BOHRER-8 ordered, only 50 available"
    assert shop.level(shop.coffee) == (50, 0)  # nothing of the refused confirmation stays
    dear = shop.post(  # 1 × 4,500.00 × 1.19 = 5,355.00 > 5,000.00
        "/sales-orders",
        shop.sales,
        {
            "customer_id": shop.customer["id"],
            "warehouse_id": shop.store["id"],
            "order_date": DAY,
            "lines": [{"article_id": shop.drill["id"], "quantity": 1, "unit_price": "4500.00"}],
        },
    )
    refused = problem(
        shop.client.post(f"/api/v1/sales-orders/{dear['id']}/confirm", headers=shop.sales.headers),
        409,
    )
    assert refused["detail"].endswith("plus this order 5355.00 exceed the credit limit 5000.00")
    twice = shop.client.post(
        "/api/v1/sales-orders",
        json={
            "customer_id": shop.customer["id"],
            "warehouse_id": shop.store["id"],
            "order_date": DAY,
            "lines": [
                {"article_id": shop.drill["id"], "quantity": 1},
                {"article_id": shop.drill["id"], "quantity": 2},
            ],
        },
        headers=shop.sales.headers,
    )
    assert "on the order twice" in problem(twice, 422)["detail"]
    huge = shop.client.post(
        "/api/v1/sales-orders",
        json={
            "customer_id": shop.customer["id"],
            "warehouse_id": shop.store["id"],
            "order_date": DAY,
            "lines": [
                {
                    "article_id": shop.drill["id"],
                    "quantity": 1000000,
                    "unit_price": "999999999999.99",
                }
            ],
        },
        headers=shop.sales.headers,
    )
    assert "exceeds" in problem(huge, 422)["detail"]
    order = shop.post(
        f"/sales-orders/{shop.order((shop.drill, 1))['id']}/confirm", shop.sales, status=200
    )
    nothing = shop.client.post(
        f"/api/v1/sales-orders/{order['id']}/invoices",
        json={"invoice_date": DAY},
        headers=shop.accounting.headers,
    )
    assert problem(nothing, 409)["type"].endswith("nothing-to-invoice")
    stranger = shop.client.post(
        f"/api/v1/sales-orders/{order['id']}/deliveries",
        json={"delivery_date": DAY, "lines": [{"order_line_id": 999, "quantity": 1}]},
        headers=shop.warehouse.headers,
    )
    assert "is not on order AU2026-00001" in problem(stranger, 422)["detail"]
    shop.post(f"/sales-orders/{order['id']}/deliveries", shop.warehouse, {"delivery_date": DAY})
    invoice = shop.post(
        f"/sales-orders/{order['id']}/invoices", shop.accounting, {"invoice_date": DAY}
    )
    zero = shop.client.post(
        f"/api/v1/invoices/{invoice['id']}/payments",
        json={"amount": "0.00", "payment_date": DAY},
        headers=shop.accounting.headers,
    )
    assert problem(zero, 422)["detail"] == "a payment amount is positive"
    more = shop.client.post(
        f"/api/v1/invoices/{invoice['id']}/payments",
        json={"amount": "23.80", "payment_date": DAY},
        headers=shop.accounting.headers,
    )
    assert problem(more, 409)["detail"] == "23.80 exceeds the open 23.79 of invoice RE2026-00001"


def test_a_correction_clears_the_open_item_and_cancel_releases_stock(shop: Shop) -> None:
    order = shop.post(
        f"/sales-orders/{shop.order((shop.drill, 4))['id']}/confirm", shop.sales, status=200
    )
    shop.post(
        f"/sales-orders/{order['id']}/deliveries",
        shop.warehouse,
        {
            "delivery_date": DAY,
            "lines": [{"order_line_id": order["lines"][0]["id"], "quantity": 1}],
        },
    )
    invoice = shop.post(
        f"/sales-orders/{order['id']}/invoices", shop.accounting, {"invoice_date": DAY}
    )
    correction = shop.post(
        f"/invoices/{invoice['id']}/correction",
        shop.accounting,
        {"invoice_date": "2026-03-03", "reason": "falscher Preis"},
    )
    assert (correction["kind"], correction["gross_total"], correction["corrects_id"]) == (
        "correction",
        "-23.79",
        invoice["id"],
    )
    assert shop.get(f"/invoices/{invoice['id']}", shop.accounting)["status"] == "corrected"
    assert shop.get("/reports/open-items", shop.accounting, kind="debitor")["accounts"] == []
    cancelled = shop.post(f"/sales-orders/{order['id']}/cancel", shop.sales, status=200)
    assert [li["cancelled_quantity"] for li in cancelled["lines"]] == [3]
    assert shop.level(shop.drill) == (49, 0)


@pytest.mark.parametrize(
    ("role", "method", "path"),
    [
        ("warehouse", "POST", "/api/v1/sales-orders"),
        ("accounting", "POST", "/api/v1/sales-orders/1/confirm"),
        ("sales", "POST", "/api/v1/sales-orders/1/deliveries"),
        ("sales", "POST", "/api/v1/sales-orders/1/invoices"),
        ("warehouse", "GET", "/api/v1/invoices"),
        ("sales", "POST", "/api/v1/invoices/1/payments"),
    ],
)
def test_each_step_belongs_to_its_role(
    client: TestClient, make_account: AccountFactory, role: str, method: str, path: str
) -> None:
    who = make_account(Role(role))
    reply = client.request(method, path, json={}, headers=who.headers)
    assert reply.status_code == 403, reply.text


def test_the_flow_is_linked_in_the_openapi_schema(client: TestClient) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]

    def links(path: str, method: str, status: str) -> set[str]:
        return {
            link["operationId"]
            for link in paths[path][method]["responses"][status].get("links", {}).values()
        }

    assert links("/api/v1/sales-orders", "post", "201") >= {"confirmSalesOrder"}
    assert links("/api/v1/sales-orders/{order_id}/confirm", "post", "200") >= {"createDelivery"}
    assert links("/api/v1/sales-orders/{order_id}/deliveries", "post", "201") >= {"createInvoice"}
    assert links("/api/v1/sales-orders/{order_id}/invoices", "post", "201") >= {"bookPayment"}
