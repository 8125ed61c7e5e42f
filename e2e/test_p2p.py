"""Critical paths of Warenwirtschaft and procure-to-pay: an order received in two parts,
invoiced and paid in two parts; and FIBU staying closed to the warehouse."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import DEMO_PASSWORD, Api
from e2e.pages.auth import LoginPage, Shell
from e2e.pages.purchasing import InvoicePage, InvoicesPage, OrdersPage
from e2e.pages.stock import ArticlesPage, WarehousesPage

WAREHOUSE = "warehouse@valeo.test"
ACCOUNTING = "accounting@valeo.test"
SUPPLIER = "Großhandel Nord GmbH"


def open_items(api: Api, token: str) -> dict[str, str]:
    """The Kreditors' open items: amount by OP-Nummer."""
    report = api.get("/reports/open-items", token, kind="kreditor").json()
    return {item["reference"]: item["amount"] for a in report["accounts"] for item in a["items"]}


@pytest.mark.critical_path("p2p")
def test_order_receive_invoice_and_pay(page: Page, api: Api, unique: str) -> None:
    sku, code = f"P2P-{unique.upper()}", f"L{unique.upper()}"
    store = f"{code} · Lager {unique}"
    keeper = api.token(WAREHOUSE, DEMO_PASSWORD)
    suppliers = api.get("/suppliers", keeper, limit=100).json()["items"]
    supplier = next(s for s in suppliers if s["name"] == SUPPLIER)

    LoginPage(page).open().sign_in(WAREHOUSE, DEMO_PASSWORD)
    shell = Shell(page)
    shell.open("Stock")
    WarehousesPage(page).open().create(code, f"Lager {unique}")
    article = (
        ArticlesPage(page)
        .open()
        .new_article(sku, f"Schraube {unique}", sales_price="1,00", purchase_price="12,50")
    )
    expect(article.title).to_contain_text(sku)
    article_id = article.article_id

    shell.open("Purchase orders")
    order = OrdersPage(page).new_order(supplier["id"], [(sku, "10", "")])
    expect(order.status).to_have_text("draft")
    order.place()
    expect(order.status).to_have_text("ordered")
    number = order.title.inner_text().removeprefix("Purchase order ")
    order.receive(store, {sku: "4"})
    expect(order.status).to_have_text("partially received")
    expect(order.received(1)).to_have_text("4")
    order.receive(store, {sku: "6"})
    expect(order.status).to_have_text("received")
    expect(order.received(1)).to_have_text("10")
    levels = api.get("/stock/levels", keeper, article_id=article_id).json()
    assert [(row["warehouse_code"], row["on_hand"]) for row in levels] == [(code, 10)]
    shell.sign_out()

    LoginPage(page).sign_in(ACCOUNTING, DEMO_PASSWORD)
    shell.open("Incoming invoices")
    order = InvoicesPage(page).open_waiting_order(number)
    order.book_invoice(f"RE-{unique}")
    invoice = InvoicePage(page)
    expect(invoice.status).to_have_text("open")
    expect(invoice.gross).to_have_text("148,75 €")  # 10 × 12,50 € + 19 % Vorsteuer
    invoice_number = invoice.title.inner_text().removeprefix("Incoming invoice ")
    invoice_id = invoice.invoice_id
    invoice.pay("100,00")
    expect(invoice.status).to_have_text("partially paid")
    expect(invoice.open_amount).to_have_text("48,75 €")
    accountant = api.token(ACCOUNTING, DEMO_PASSWORD)
    assert open_items(api, accountant)[invoice_number] == "48.75"
    invoice.pay("48,75")
    expect(invoice.status).to_have_text("paid")
    expect(invoice.form).to_have_count(0)

    booked = api.get(f"/incoming-invoices/{invoice_id}", accountant).json()
    assert (booked["status"], booked["paid_total"], booked["supplier_reference"]) == (
        "paid",
        "148.75",
        f"RE-{unique}",
    )
    assert invoice_number not in open_items(api, accountant)
    levels = api.get("/stock/levels", keeper, article_id=article_id).json()
    assert sum(row["on_hand"] for row in levels) == 10


@pytest.mark.critical_path("warehouse-no-fibu")
def test_fibu_stays_closed_to_the_warehouse(page: Page, api: Api) -> None:
    LoginPage(page).open().sign_in(WAREHOUSE, DEMO_PASSWORD)
    shell = Shell(page)
    expect(shell.link("Stock")).to_be_visible()
    expect(shell.link("Purchase orders")).to_be_visible()
    for name in ("Journal", "Reports", "Suppliers", "Incoming invoices"):
        expect(shell.link(name)).to_have_count(0)
    for path in ("/fibu/journal", "/fibu/trial-balance"):
        response = page.goto(path)
        assert response is not None
        assert response.status == 403
        expect(page.get_by_test_id("error")).to_contain_text("403")
        expect(shell.link("Journal")).to_have_count(0)
    token = api.token(WAREHOUSE, DEMO_PASSWORD)
    assert api.get("/journal-entries", token).status_code == 403
    assert api.get("/reports/trial-balance", token).status_code == 403
