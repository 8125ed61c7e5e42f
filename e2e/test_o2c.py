"""Critical paths of order to cash: a sales order confirmed, delivered in two parts, invoiced
with VAT per rate, printed and paid; and an order beyond the available stock refused.

Each test makes its own customer and articles (with their own stock in HL) through the API,
named with ``unique``: reruns and other tests never share a record with it.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import DEMO_PASSWORD, Api
from e2e.pages.auth import LoginPage, Shell
from e2e.pages.sales import PrintedInvoice, SalesInvoicesPage, SalesOrdersPage

SALES = "sales@valeo.test"
WAREHOUSE = "warehouse@valeo.test"
ACCOUNTING = "accounting@valeo.test"
UMSATZSTEUER = {19: 1776, 7: 1771}  # SKR03: Umsatzsteuer 19 % and 7 %


# Set-up and witnesses through the API ---------------------------------------------------


def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def fresh_customer(api: Api, token: str, unique: str) -> dict[str, Any]:
    """A customer with the full address §14 UStG needs on the invoice; no credit limit."""
    body = {
        "name": f"O2C Kunde {unique} GmbH",
        "street": "Hafenstraße 7",
        "postal_code": "24103",
        "city": "Kiel",
    }
    return created(api.post("/customers", token, body))


def main_warehouse(api: Api, token: str) -> int:
    warehouses = api.get("/warehouses", token).json()
    warehouse_id: int = next(w["id"] for w in warehouses if w["code"] == "HL")
    return warehouse_id


def stocked_article(
    api: Api, token: str, warehouse_id: int, sku: str, *, price: str, rate: int, on_hand: int
) -> int:
    """A new article at ``price`` (net) and ``rate`` % with ``on_hand`` units in the warehouse."""
    body = {"sku": sku, "name": f"Ware {sku}", "sales_price": price, "vat_rate": rate}
    article_id: int = created(api.post("/articles", token, body))["id"]
    receipt = {
        "article_id": article_id,
        "warehouse_id": warehouse_id,
        "quantity": on_hand,
        "unit_cost": "1.00",
        "reference": f"AB-{sku}",
    }
    created(api.post("/stock/receipts", token, receipt))
    return article_id


def level(api: Api, token: str, article_id: int) -> tuple[str, int, int, int]:
    """The article's only stock level: (warehouse, on hand, reserved, available)."""
    [row] = api.get("/stock/levels", token, article_id=article_id).json()
    return row["warehouse_code"], row["on_hand"], row["reserved"], row["available"]


def trial_balance(api: Api, token: str) -> dict[str, Any]:
    response = api.get("/reports/trial-balance", token)
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    return report


def umsatzsteuer(report: dict[str, Any]) -> dict[int, Decimal]:
    """Closing balances (debit − credit) of the Umsatzsteuer accounts, by rate."""
    closing = {row["number"]: Decimal(row["closing"]) for row in report["rows"]}
    return {rate: closing.get(account, Decimal("0.00")) for rate, account in UMSATZSTEUER.items()}


def business_day() -> str:
    """Today in Germany as the printed invoice shows it (the server's business date)."""
    return datetime.now(ZoneInfo("Europe/Berlin")).strftime("%d.%m.%Y")


# The paths ------------------------------------------------------------------------------


# The steps of the o2c path, one role each -----------------------------------------------


def take_order(page: Page, customer_id: int, hl: int, lines: list[tuple[str, str, str]]) -> int:
    """Sales: a draft order, confirmed; its id."""
    LoginPage(page).open().sign_in(SALES, DEMO_PASSWORD)
    Shell(page).open("Sales orders")
    order = SalesOrdersPage(page).new_order(customer_id, hl, lines)
    expect(order.status).to_have_text("draft")
    order.confirm()
    expect(order.status).to_have_text("confirmed")
    expect(order.notice).to_contain_text("stock is reserved")
    expect(order.title).not_to_contain_text("draft")
    return order.order_id


def ship_in_two_parts(page: Page, number: str, full: str, half: str) -> None:
    """Warehouse: 4 of 7 and 5 of 15 first, the rest second."""
    LoginPage(page).sign_in(WAREHOUSE, DEMO_PASSWORD)
    Shell(page).open("Sales orders")
    order = SalesOrdersPage(page).open_order(number)
    order.deliver({full: "4", half: "5"})
    expect(order.status).to_have_text("partially delivered")
    expect(order.delivered(1)).to_have_text("4")
    expect(order.open_quantity(1)).to_have_text("3")
    expect(order.open_quantity(2)).to_have_text("10")
    order.deliver({full: "3", half: "10"})
    expect(order.status).to_have_text("delivered")
    expect(order.delivered(1)).to_have_text("7")
    expect(order.delivered(2)).to_have_text("15")
    expect(order.deliveries.get_by_role("row")).to_have_count(3)  # the header and two


def check_printed(printed: PrintedInvoice, number: str, customer: dict[str, Any]) -> None:
    """§14(4) UStG on the printed invoice, with the figures computed by hand (see below)."""
    expect(printed.kind).to_have_text("Rechnung")
    expect(printed.number).to_have_text(number)
    expect(printed.service_date).to_have_text(business_day())  # the last delivery's day
    expect(printed.net(19)).to_contain_text("Nettobetrag zu 19 %")
    expect(printed.net(19)).to_contain_text("31,50 €")
    expect(printed.tax(19)).to_contain_text("USt 19 %")
    expect(printed.tax(19)).to_contain_text("5,99 €")
    expect(printed.net(7)).to_contain_text("Nettobetrag zu 7 %")
    expect(printed.net(7)).to_contain_text("37,50 €")
    expect(printed.tax(7)).to_contain_text("USt 7 %")
    expect(printed.tax(7)).to_contain_text("2,63 €")
    expect(printed.net_total).to_have_text("69,00 €")
    expect(printed.tax_total).to_have_text("8,62 €")
    expect(printed.gross).to_have_text("77,62 €")
    expect(printed.recipient).to_contain_text(customer["name"])
    expect(printed.recipient).to_contain_text("Hafenstraße 7")
    expect(printed.recipient).to_contain_text("24103 Kiel")


@pytest.mark.critical_path("o2c")
def test_order_confirm_deliver_twice_invoice_print_and_pay(
    page: Page, api: Api, unique: str
) -> None:
    seller = api.token(SALES, DEMO_PASSWORD)
    keeper = api.token(WAREHOUSE, DEMO_PASSWORD)
    accountant = api.token(ACCOUNTING, DEMO_PASSWORD)
    customer = fresh_customer(api, seller, unique)
    hl = main_warehouse(api, keeper)
    full, half = f"O2C-{unique.upper()}-19", f"O2C-{unique.upper()}-7"
    full_id = stocked_article(api, keeper, hl, full, price="4.50", rate=19, on_hand=20)
    half_id = stocked_article(api, keeper, hl, half, price="2.50", rate=7, on_hand=40)
    tax_before = umsatzsteuer(trial_balance(api, accountant))

    order_id = take_order(page, customer["id"], hl, [(full, "7", ""), (half, "15", "")])
    number = api.get(f"/sales-orders/{order_id}", seller).json()["number"]
    assert level(api, keeper, full_id) == ("HL", 20, 7, 13)  # reserved, still on hand
    assert level(api, keeper, half_id) == ("HL", 40, 15, 25)
    Shell(page).sign_out()

    ship_in_two_parts(page, number, full, half)
    assert level(api, keeper, full_id) == ("HL", 13, 0, 13)  # the reservation went out
    assert level(api, keeper, half_id) == ("HL", 25, 0, 25)
    Shell(page).sign_out()

    # The invoice, by hand: VAT per rate on the rate's net total, half-up.
    #   19 %: 7 × 4,50 = 31,50 net; 31,50 × 0,19 = 5,985 → 5,99 (half-even would give 5,98)
    #    7 %: 15 × 2,50 = 37,50 net; 37,50 × 0,07 = 2,625 → 2,63 (half-even would give 2,62)
    #   net 69,00 + USt 8,62 = gross 77,62
    LoginPage(page).sign_in(ACCOUNTING, DEMO_PASSWORD)
    Shell(page).open("Invoices")
    invoice = SalesInvoicesPage(page).open_waiting_order(number).issue_invoice()
    expect(invoice.status).to_have_text("open")
    expect(invoice.notice).to_contain_text("posted to FIBU")
    expect(invoice.rate(19)).to_contain_text("5,99 €")
    expect(invoice.rate(7)).to_contain_text("2,63 €")
    expect(invoice.gross).to_have_text("77,62 €")
    invoice_id, invoice_number = invoice.invoice_id, invoice.number
    check_printed(invoice.open_print(), invoice_number, customer)
    company = api.get("/company", accountant).json()
    expect(PrintedInvoice(page).seller).to_contain_text(f"Steuernummer: {company['tax_number']}")
    page.go_back()
    invoice.pay("77,62")
    expect(invoice.status).to_have_text("paid")
    expect(invoice.paid).to_have_text("77,62 €")
    expect(invoice.form).to_have_count(0)

    # The books, through the API.
    booked = api.get(f"/invoices/{invoice_id}", accountant).json()
    assert (booked["number"], booked["order_id"], booked["status"]) == (
        invoice_number,
        order_id,
        "paid",
    )
    assert (booked["paid_total"], booked["open_amount"]) == ("77.62", "0.00")
    assert [(t["rate"], t["net"], t["tax"]) for t in booked["totals"]] == [
        (19, "31.50", "5.99"),
        (7, "37.50", "2.63"),
    ]
    debitors = api.get("/reports/open-items", accountant, kind="debitor").json()
    mine = [a for a in debitors["accounts"] if a["number"] == customer["debitor_account"]]
    assert [item for a in mine for item in a["items"]] == []
    assert invoice_number not in {i["reference"] for a in debitors["accounts"] for i in a["items"]}
    report = trial_balance(api, accountant)
    assert (report["debit"] == report["credit"], report["closing"]) == (True, "0.00")
    tax_after = umsatzsteuer(report)
    assert tax_after[19] - tax_before[19] == Decimal("-5.99")  # credited: Umsatzsteuer owed
    assert tax_after[7] - tax_before[7] == Decimal("-2.63")


@pytest.mark.critical_path("o2c-stock-refused")
def test_order_beyond_available_stock_is_refused(page: Page, api: Api, unique: str) -> None:
    seller = api.token(SALES, DEMO_PASSWORD)
    keeper = api.token(WAREHOUSE, DEMO_PASSWORD)
    customer = fresh_customer(api, seller, unique)
    hl = main_warehouse(api, keeper)
    plenty, scarce = f"O2C-{unique.upper()}-OK", f"O2C-{unique.upper()}-KNAPP"
    plenty_id = stocked_article(api, keeper, hl, plenty, price="3.00", rate=19, on_hand=10)
    scarce_id = stocked_article(api, keeper, hl, scarce, price="5.00", rate=7, on_hand=5)

    LoginPage(page).open().sign_in(SALES, DEMO_PASSWORD)
    order = (
        SalesOrdersPage(page)
        .open()
        .new_order(customer["id"], hl, [(plenty, "2", ""), (scarce, "8", "")])
    )
    expect(order.status).to_have_text("draft")
    order_id = order.order_id
    order.confirm()
    expect(order.confirm_error).to_have_text(f"line 2: 8 Stk {scarce} ordered, only 5 available")
    expect(order.status).to_have_text("draft")
    expect(order.title).to_have_text(f"Sales order draft {order_id}")
    expect(order.confirm_button).to_be_visible()  # still a draft: it can be confirmed later

    draft = api.get(f"/sales-orders/{order_id}", seller).json()
    assert (draft["status"], draft["number"], draft["confirmed_at"]) == ("draft", None, None)
    # The refusal reserved nothing, not even the line that was available (one savepoint).
    assert level(api, keeper, plenty_id) == ("HL", 10, 0, 10)
    assert level(api, keeper, scarce_id) == ("HL", 5, 0, 5)
