"""Order-to-cash pages through the in-process app: orders, deliveries, invoices, payments,
corrections, the printable invoice, and refusals shown next to their forms (roles and the
dashboard: test_web_access.py)."""

from __future__ import annotations

from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from erp.auth.models import User
from erp.crm import service as crm_service
from erp.crm.models import Customer
from erp.deps import Services
from erp.stock.models import Article, Warehouse
from tests.unit.crm.conftest import customer_values
from tests.unit.sales.conftest import bill, place, ship
from tests.unit.sales.web_shop import (
    PageShop,
    commit,
    line_ids,
    location_id,
    new_order,
    order_form,
    part,
    shop,
    stock_of,
)
from tests.web_helpers import post_form, web_login

__all__ = ["shop"]  # the fixture


# The whole flow ------------------------------------------------------------------------
def test_order_to_cash_through_the_pages(
    client: TestClient, shop: PageShop, services: Services
) -> None:
    web_login(client, shop.sales)
    new = "/sales-orders/new"
    form = order_form(shop, ("bohrer-8", "30", ""), ("KAFFEE-1KG", "10", "12,00"))
    order_id = location_id(
        post_form(client, new, form, form_page=new), r"/sales-orders/([0-9]+)\?done=created"
    )
    url = f"/sales-orders/{order_id}"
    page = client.get(f"{url}?done=created").text
    assert "Sales order draft" in page
    assert "The draft order is saved" in page
    assert "B-77" in page
    assert ("599,70 €" in part(page, "rate-19"), "113,94 €" in part(page, "rate-19")) == (True,) * 2
    assert "842,04 €" in page  # 599,70 + 113,94 + 120,00 + 8,40
    assert 'data-testid="deliver-form"' not in page  # not the seller's, and not confirmed
    confirmed = post_form(client, f"{url}/confirm", {}, form_page=url)
    assert confirmed.headers["location"] == f"{url}?done=confirmed"
    page = client.get(confirmed.headers["location"]).text
    assert "Sales order AU2026-00001" in page
    assert "its stock is reserved" in page
    assert stock_of(services, shop.drill, shop.warehouse) == (100, 30)
    assert "AU2026-00001" in client.get("/sales-orders?status=open").text
    assert "AU2026-00001" not in client.get("/sales-orders?status=draft").text

    web_login(client, shop.warehouse_user)
    page = client.get(url).text
    assert 'data-testid="confirm-order"' not in page
    assert 'data-testid="invoice-form"' not in page
    assert 'value="30"' in page  # the open quantity is the default
    first, second = line_ids(client, shop, order_id)
    shipped = {"delivery_date": "2026-03-03", f"qty_{first}": "31", f"qty_{second}": "10"}
    over = post_form(client, f"{url}/deliveries", shipped, form_page=url)
    assert over.status_code == 409
    assert 'data-testid="deliver-error"' in over.text
    assert "only 30 open" in over.text
    assert 'value="31"' in over.text  # what was typed stays
    shipped[f"qty_{first}"] = "20"
    delivered = post_form(client, f"{url}/deliveries", shipped, form_page=url)
    assert delivered.headers["location"] == f"{url}?done=delivered"
    page = client.get(delivered.headers["location"]).text
    assert 'data-testid="order-status">partially delivered<' in page
    assert (">20<" in part(page, "order-line-1"), ">10<" in part(page, "order-line-1")) == (
        True,
        True,
    )
    assert "LS2026-00001" in page
    assert stock_of(services, shop.drill, shop.warehouse) == (80, 10)
    assert stock_of(services, shop.coffee, shop.warehouse) == (90, 0)

    web_login(client, shop.accounting)
    assert f'href="/sales-orders/{order_id}"' in client.get("/invoices").text
    invoice = {"invoice_date": "05.03.2026", "service_date": ""}
    invoice_id = location_id(
        post_form(client, f"{url}/invoices", invoice, form_page=url),
        r"/invoices/([0-9]+)\?done=created",
    )
    inv_url = f"/invoices/{invoice_id}"
    page = client.get(f"{inv_url}?done=created").text
    assert "Invoice RE2026-00001" in page
    assert "The invoice is issued and posted to FIBU." in page
    assert ">20<" in part(client.get(url).text, "order-line-1")  # invoiced

    printed = client.get(f"{inv_url}/print")
    assert printed.status_code == 200
    text = printed.text
    assert 'aria-label="Main"' not in text
    assert "invoice-print.css" in text
    seller = text.split('data-testid="seller"')[1].split("</header>")[0]
    for expected in ["Valeo Handel GmbH", "Industriestr. 5", "50667 Köln", "214/5678/0123"]:
        assert expected in seller
    recipient = text.split('data-testid="recipient"')[1].split("</address>")[0]
    assert ("Müller GmbH" in recipient, "Hauptstr. 1" in recipient) == (True, True)
    assert "10115 Berlin" in recipient
    assert ">Rechnung<" in text
    for label in ["Rechnungsnummer", "Leistungsdatum", "Nettobetrag", "USt", "Bruttobetrag"]:
        assert label in text
    assert 'data-testid="invoice-number">RE2026-00001<' in text
    assert 'data-testid="invoice-date">05.03.2026<' in text
    assert 'data-testid="service-date">03.03.2026<' in text  # the delivery
    assert "bis 19.03.2026" in text  # 14 days' terms
    assert "Artikel BOHRER-8" in part(text, "printed-line-1")
    assert "19,99 €" in part(text, "printed-line-1")
    assert "399,80 €" in part(text, "printed-line-1")
    assert ("399,80 €" in part(text, "net-19"), "75,96 €" in part(text, "tax-19")) == (True,) * 2
    assert ("120,00 €" in part(text, "net-7"), "8,40 €" in part(text, "tax-7")) == (True,) * 2
    assert 'data-testid="net-total">519,80 €<' in text
    assert 'data-testid="tax-total">84,36 €<' in text
    assert 'data-testid="gross-total">604,16 €<' in text

    pay = {"amount": "604,17", "payment_date": "2026-03-20"}
    too_much = post_form(client, f"{inv_url}/payments", pay, form_page=inv_url)
    assert too_much.status_code == 409
    assert 'data-testid="payment-error"' in too_much.text
    assert 'value="604,17"' in too_much.text
    paid = post_form(client, f"{inv_url}/payments", pay | {"amount": "600"}, form_page=inv_url)
    assert paid.headers["location"] == f"{inv_url}?done=paid"
    page = client.get(paid.headers["location"]).text
    assert "The payment is booked." in page
    assert 'data-testid="invoice-status">partially paid<' in page
    assert 'value="4,16"' in page  # the rest is the default
    rest = post_form(client, f"{inv_url}/payments", pay | {"amount": "4,16"}, form_page=inv_url)
    assert rest.status_code == 303
    page = client.get(inv_url).text
    assert 'data-testid="invoice-status">paid<' in page
    assert 'data-testid="payment-form"' not in page
    assert 'data-testid="correction-form"' not in page  # a paid invoice is not corrected
    assert "ZE2026-00002" in page
    assert "RE2026-00001" in client.get("/invoices?status=paid").text
    assert "RE2026-00001" not in client.get("/invoices?status=open").text


def test_correcting_invoice_through_the_pages(
    client: TestClient,
    db: Session,
    seller: User,
    customer: Customer,
    warehouse: Warehouse,
    articles: tuple[Article, Article],
) -> None:
    drill, coffee = articles
    order = place(db, seller, customer, warehouse, [(drill, 5), (coffee, 2)])
    ship(db, seller, order)
    original = bill(db, seller, order)
    commit(db)
    web_login(client, seller.email)
    url = f"/invoices/{original.id}"
    blank = post_form(client, f"{url}/correction", {"invoice_date": "2026-03-04"}, form_page=url)
    assert blank.status_code == 422
    assert 'data-testid="correction-error"' in blank.text
    assert "Reason:" in blank.text
    made = post_form(
        client,
        f"{url}/correction",
        {"invoice_date": "2026-03-04", "reason": "Falscher Preis"},
        form_page=url,
    )
    correction_id = location_id(made, r"/invoices/([0-9]+)\?done=corrected")
    page = client.get(made.headers["location"]).text
    assert "Correcting invoice RE2026-00002" in page
    assert "Stornorechnung zu" in page
    assert "RE2026-00001" in page
    assert 'data-testid="payment-form"' not in page
    printed = client.get(f"/invoices/{correction_id}/print").text
    assert ">Stornorechnung<" in printed
    assert "Stornorechnung zu RE2026-00001 vom 02.03.2026" in printed
    assert "Grund: Falscher Preis" in printed
    assert 'data-testid="gross-total">-145,67 €<' in printed  # -(118,94 + 26,73)
    assert "Müller GmbH" in printed

    page = client.get(url).text
    assert 'data-testid="invoice-status">corrected<' in page
    assert 'data-testid="corrected-by"' in page
    assert 'data-testid="correction-form"' not in page
    again = post_form(
        client, f"{url}/correction", {"reason": "x"} | {"invoice_date": "2026-03-04"}, form_page=url
    )
    assert again.status_code == 409
    assert 'data-testid="correction-error"' in again.text
    assert "only an unpaid invoice is corrected" in again.text
    late = post_form(
        client, f"{url}/payments", {"amount": "1", "payment_date": "2026-03-04"}, form_page=url
    )
    assert late.status_code == 409
    assert "nothing to pay" in late.text
    # The corrected lines can be invoiced anew from the order page.
    assert 'data-testid="invoice-form"' in client.get(f"/sales-orders/{order.id}").text


# Refusals of the domain ----------------------------------------------------------------
def test_an_order_beyond_stock_shows_the_message_and_reserves_nothing(
    client: TestClient,
    db: Session,
    services: Services,
    seller: User,
    customer: Customer,
    warehouse: Warehouse,
    articles: tuple[Article, Article],
) -> None:
    drill, coffee = articles
    place(db, seller, customer, warehouse, [(drill, 80)])
    draft = place(db, seller, customer, warehouse, [(coffee, 10), (drill, 21)], confirm=False)
    careful = crm_service.create_customer(
        db, actor=seller, values=customer_values(name="Vorsicht KG", credit_limit=Decimal(100))
    )
    risky = place(db, seller, careful, warehouse, [(drill, 10)], confirm=False)
    commit(db)
    web_login(client, seller.email)
    url = f"/sales-orders/{draft.id}"
    refused = post_form(client, f"{url}/confirm", {}, form_page=url)
    assert refused.status_code == 409
    assert 'data-testid="confirm-error"' in refused.text
    assert "line 2: 21 Stk BOHRER-8 ordered, only 20 available" in refused.text
    assert 'data-testid="order-status">draft<' in refused.text
    assert stock_of(services, coffee, warehouse) == (100, 0)
    assert stock_of(services, drill, warehouse) == (100, 80)

    url = f"/sales-orders/{risky.id}"
    limit = post_form(client, f"{url}/confirm", {}, form_page=url)
    assert limit.status_code == 409
    assert "exceed the credit limit 100.00" in limit.text
    assert stock_of(services, drill, warehouse) == (100, 80)


def test_cancel_delete_and_refusals_next_to_the_forms(
    client: TestClient, shop: PageShop, services: Services
) -> None:
    web_login(client, shop.admin)
    draft_id = new_order(client, shop, ("BOHRER-8", "5", ""))
    url = f"/sales-orders/{draft_id}"
    [line_id] = line_ids(client, shop, draft_id)
    qty = {"delivery_date": "2026-03-02", f"qty_{line_id}": "1"}
    for action, data, message in [
        ("cancel", {}, "nothing to cancel"),
        ("invoices", {"invoice_date": "2026-03-02"}, "nothing delivered to invoice"),
        ("deliveries", qty, "nothing to deliver"),
    ]:
        refused = post_form(client, f"{url}/{action}", data, form_page=url)
        assert refused.status_code == 409, action
        assert message in refused.text
        assert 'role="alert"' in refused.text
    deleted = post_form(client, f"{url}/delete", {}, form_page=url)
    assert deleted.headers["location"] == "/sales-orders?done=deleted"
    assert "The draft order is deleted." in client.get(deleted.headers["location"]).text
    assert client.get(url).status_code == 404

    order_id = new_order(client, shop, ("BOHRER-8", "5", ""))
    url = f"/sales-orders/{order_id}"
    [line_id] = line_ids(client, shop, order_id)
    assert post_form(client, f"{url}/confirm", {}, form_page=url).status_code == 303
    again = post_form(client, f"{url}/confirm", {}, form_page=url)
    assert again.status_code == 409
    assert "not a draft" in again.text
    assert post_form(client, f"{url}/delete", {}, form_page=url).status_code == 409
    bad = {"delivery_date": "gestern", f"qty_{line_id}": "viele"}
    wrong = post_form(client, f"{url}/deliveries", bad, form_page=url)
    assert wrong.status_code == 422
    assert 'data-testid="deliver-error"' in wrong.text
    assert "Quantity:" in wrong.text
    zero = {"delivery_date": "2026-03-02", f"qty_{line_id}": "0"}
    nothing = post_form(client, f"{url}/deliveries", zero, form_page=url)
    assert nothing.status_code == 422
    assert "Enter at least one line." in nothing.text
    no_date = post_form(client, f"{url}/invoices", {"invoice_date": ""}, form_page=url)
    assert no_date.status_code == 422
    assert "Invoice date:" in no_date.text
    assert stock_of(services, shop.drill, shop.warehouse) == (100, 5)
    cancelled = post_form(client, f"{url}/cancel", {}, form_page=url)
    assert cancelled.headers["location"] == f"{url}?done=cancelled"
    page = client.get(cancelled.headers["location"]).text
    assert 'data-testid="order-status">cancelled<' in page
    assert 'data-testid="cancelled-1">5<' in page
    assert 'data-testid="cancel-order"' not in page
    assert stock_of(services, shop.drill, shop.warehouse) == (100, 0)


# Bad input -----------------------------------------------------------------------------
def test_bad_order_forms_come_back_with_their_errors(client: TestClient, shop: PageShop) -> None:
    web_login(client, shop.sales)
    new = "/sales-orders/new"
    form = client.get(new).text
    for offered in ["Müller GmbH", "HL · Hauptlager", "BOHRER-8"]:
        assert offered in form
    cases: list[tuple[dict[str, str], int, list[str]]] = [
        (order_form(shop), 422, ['data-testid="lines-error"']),
        (
            order_form(shop, ("NOPE", "5", ""), ("", "", "")),
            422,
            ['data-testid="line_1-error"', "no article has the SKU", 'value="NOPE"'],
        ),
        (order_form(shop, ("BOHRER-8", "viele", "")), 422, ['data-testid="line_1-error"']),
        (order_form(shop, ("BOHRER-8", "1", ""), ("NOPE", "1", "")), 422, ["line_2-error"]),
        (order_form(shop, ("BOHRER-8", "1", "billig")), 422, ["Unit price:"]),
        (
            order_form(shop, ("BOHRER-8", "1", ""), ("XX", "1", ""), order_date="bald"),
            422,
            ['data-testid="line_2-error"', 'data-testid="order_date-error"'],
        ),
        (
            order_form(shop, ("BOHRER-8", "1", ""), customer_id=""),
            422,
            ['data-testid="customer_id-error"'],
        ),
        (
            order_form(shop, ("BOHRER-8", "1", ""), ("bohrer-8", "2", "")),
            422,
            ['data-testid="form-error"', "on the order twice"],
        ),
        (
            order_form(shop, ("BOHRER-8", "1", ""), customer_id="999999"),
            404,
            ["customer 999999 does not exist"],
        ),
    ]
    for data, status, shown in cases:
        refused = post_form(client, new, data, form_page=new)
        assert refused.status_code == status, (data, refused.text)
        for text in shown:
            assert text in refused.text, (data, text)
    assert "No sales orders found." in client.get("/sales-orders").text
    assert client.get("/sales-orders?status=bogus").status_code == 422
    assert client.get("/sales-orders/999999").status_code == 404


def test_bad_payment_input_is_shown_on_the_invoice(
    client: TestClient,
    db: Session,
    seller: User,
    customer: Customer,
    warehouse: Warehouse,
    articles: tuple[Article, Article],
) -> None:
    order = place(db, seller, customer, warehouse, [(articles[0], 1)])
    ship(db, seller, order)
    invoice = bill(db, seller, order)
    commit(db)
    web_login(client, seller.email)
    url = f"/invoices/{invoice.id}"
    for amount, status, message in [("viel", 422, "Amount:"), ("0", 422, "positive")]:
        data = {"amount": amount, "payment_date": "2026-03-05"}
        refused = post_form(client, f"{url}/payments", data, form_page=url)
        assert refused.status_code == status
        assert 'data-testid="payment-error"' in refused.text
        assert message in refused.text
    for path in [url, f"{url}/print"]:
        assert client.get(path.replace(str(invoice.id), "999999")).status_code == 404
