"""Order-to-cash pages: who sees which page, link and form, and the dashboard figures."""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from erp.auth.models import Role, User
from erp.crm.models import Customer
from erp.sales import invoicing
from erp.stock.models import Article, Warehouse
from erp.web import pages, sales_invoices
from tests.conftest import AccountFactory
from tests.unit.sales.conftest import DAY, bill, place, ship
from tests.web_helpers import post_form, web_login


# Access ------------------------------------------------------------------------------------
def nav_links(client: TestClient) -> set[str]:
    nav = client.get("/").text.split('aria-label="Main"')[1].split("</nav>")[0]
    return set(re.findall(r'href="([^"]+)"', nav))


def test_each_role_gets_its_pages_and_links(
    client: TestClient,
    db: Session,
    seller: User,
    customer: Customer,
    warehouse: Warehouse,
    articles: tuple[Article, Article],
    make_account: AccountFactory,
) -> None:
    order = place(db, seller, customer, warehouse, [(articles[0], 3)])
    ship(db, seller, order, 1)
    invoice = bill(db, seller, order)
    ship(db, seller, order, 1)  # one to invoice, one to deliver
    db.commit()  # the pages run in transactions of their own
    pages_of = {
        "/sales-orders": {Role.sales, Role.warehouse, Role.accounting},
        f"/sales-orders/{order.id}": {Role.sales, Role.warehouse, Role.accounting},
        "/sales-orders/new": {Role.sales},
        "/invoices": {Role.accounting},
        f"/invoices/{invoice.id}": {Role.accounting},
        f"/invoices/{invoice.id}/print": {Role.accounting},
    }
    forms = {
        Role.sales: ["confirm-order", "cancel-order"],
        Role.warehouse: ["deliver-form"],
        Role.accounting: ["invoice-form"],
    }
    for role in (Role.sales, Role.warehouse, Role.accounting):
        web_login(client, make_account(role).email)
        for path, roles in pages_of.items():
            reply = client.get(path)
            assert reply.status_code == (200 if role in roles else 403), (role, path)
        shown = nav_links(client)
        assert ("/sales-orders" in shown) == (role is not Role.accounting), role
        assert ("/invoices" in shown) == (role is Role.accounting), role
        page = client.get(f"/sales-orders/{order.id}").text
        for other, testids in forms.items():
            for testid in testids:
                if testid != "confirm-order":  # the order is confirmed already
                    assert (f'data-testid="{testid}"' in page) == (other is role), (role, testid)
        assert (f'href="/invoices/{invoice.id}"' in page) == (role is Role.accounting)
        assert (f'href="/customers/{customer.id}"' in page) == (role is not Role.warehouse)

    web_login(client, make_account(Role.warehouse).email)
    refused = post_form(client, "/sales-orders/new", {}, form_page="/")
    assert refused.status_code == 403
    assert 'data-testid="error"' in refused.text
    web_login(client, make_account(Role.sales).email)
    for path in [f"/invoices/{invoice.id}/payments", f"/sales-orders/{order.id}/deliveries"]:
        assert post_form(client, path, {}, form_page="/").status_code == 403
    client.post("/logout", data={}, follow_redirects=False)
    client.cookies.clear()
    anonymous = client.get("/invoices", follow_redirects=False)
    assert (anonymous.status_code, anonymous.headers["location"]) == (303, "/login?next=/invoices")


# The dashboard ---------------------------------------------------------------------------
def test_dashboard_shows_open_orders_and_overdue_invoices(
    client: TestClient,
    db: Session,
    seller: User,
    customer: Customer,
    warehouse: Warehouse,
    articles: tuple[Article, Article],
    make_account: AccountFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    drill, coffee = articles
    place(db, seller, customer, warehouse, [(drill, 1)])  # open
    place(db, seller, customer, warehouse, [(drill, 1)], confirm=False)  # a draft: not open
    late = place(db, seller, customer, warehouse, [(drill, 2), (coffee, 1)])
    ship(db, seller, late, 1, 1)  # partially delivered: still open
    invoicing.create_invoice(
        db, order_id=late.id, actor=seller, values={"invoice_date": DAY, "due_date": DAY}
    )
    not_due = place(db, seller, customer, warehouse, [(coffee, 1)])
    ship(db, seller, not_due)  # delivered: no longer open
    invoicing.create_invoice(
        db,
        order_id=not_due.id,
        actor=seller,
        values={"invoice_date": DAY, "due_date": date(2026, 5, 1)},
    )
    db.commit()  # the pages run in transactions of their own
    today = date(2026, 4, 1)
    monkeypatch.setattr(pages, "business_date", lambda: today)
    monkeypatch.setattr(sales_invoices, "business_date", lambda: today)

    web_login(client, make_account(Role.sales).email)
    page = client.get("/").text
    assert 'data-testid="open-sales-orders-count">2<' in page
    assert 'href="/sales-orders?status=open"' in page
    assert 'data-testid="overdue-invoices"' not in page
    listed = client.get("/sales-orders?status=open").text
    assert ("AU2026-00001" in listed, "AU2026-00002" in listed) == (True, True)
    assert "draft" not in listed.split('data-testid="order-table"')[1]

    web_login(client, make_account(Role.accounting).email)
    page = client.get("/").text
    assert 'data-testid="open-sales-orders"' not in page
    assert 'data-testid="overdue-invoices-count">1<' in page
    assert 'data-testid="overdue-invoices-amount">37,15 €<' in page  # 23,79 + 13,36
    assert 'href="/invoices?overdue=true"' in page
    overdue = client.get("/invoices?overdue=true").text
    assert ("RE2026-00001" in overdue, "RE2026-00002" in overdue) == (True, False)
    assert "overdue on 2026-04-01" in overdue
    assert 'data-testid="overdue"' in client.get("/invoices/1").text

    web_login(client, make_account(Role.admin).email)
    page = client.get("/").text
    assert 'data-testid="open-sales-orders"' in page
    assert 'data-testid="overdue-invoices"' in page
    web_login(client, make_account(Role.warehouse).email)
    page = client.get("/").text
    assert 'data-testid="open-sales-orders"' not in page
    assert 'data-testid="overdue-invoices"' not in page


def test_an_order_starts_from_the_customer_page_whatever_the_list_holds(
    client: TestClient,
    db: Session,
    seller: User,
    customer: Customer,
    make_account: AccountFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from erp.crm import service as crm_service
    from erp.web import sales as sales_pages
    from tests.unit.crm.conftest import customer_values

    crm_service.create_customer(db, actor=seller, values=customer_values(name="Aaron AG"))
    db.commit()
    monkeypatch.setattr(sales_pages, "CUSTOMER_CHOICES", 1)  # only "Aaron AG" is listed
    web_login(client, make_account(Role.sales).email)
    page = client.get(f"/customers/{customer.id}").text
    assert f'href="/sales-orders/new?customer_id={customer.id}"' in page
    form = client.get(f"/sales-orders/new?customer_id={customer.id}").text
    assert f'<option value="{customer.id}" selected>Müller GmbH' in form
    assert "Aaron AG" in form


def test_an_issued_invoice_keeps_both_parties_as_invoiced(
    client: TestClient,
    db: Session,
    seller: User,
    customer: Customer,
    warehouse: Warehouse,
    articles: tuple[Article, Article],
    make_account: AccountFactory,
) -> None:
    from erp.crm import service as crm_service
    from erp.fibu import service as fibu

    order = place(db, seller, customer, warehouse, [(articles[0], 1)])
    ship(db, seller, order)
    invoice = bill(db, seller, order)
    correction = invoicing.correct_invoice(
        db, invoice_id=invoice.id, actor=seller, values={"invoice_date": DAY, "reason": "x"}
    )
    fibu.update_company(
        db, actor=seller, values={"name": "Umbenannt AG", "tax_number": "99/999/99999"}
    )
    crm_service.update_customer(
        db, customer_id=customer.id, actor=seller, values={"street": "Neue Str. 9"}
    )
    db.commit()
    web_login(client, make_account(Role.accounting).email)
    for shown in (invoice, correction):
        printed = client.get(f"/invoices/{shown.id}/print").text
        assert "Valeo Handel GmbH" in printed
        assert "214/5678/0123" in printed
        assert "Hauptstr. 1" in printed
        assert "Umbenannt" not in printed
        assert "Neue Str." not in printed
