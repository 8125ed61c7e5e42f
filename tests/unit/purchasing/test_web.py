"""Warenwirtschaft and procure-to-pay pages through the in-process app."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from erp.auth.models import Role
from tests.conftest import Account, AccountFactory
from tests.web_helpers import post_form, web_login

DAY = "2026-03-02"
STOCK_PAGES = ["/articles", "/stock"]
KEEPER_PAGES = ["/articles/new", "/stock/movements", "/warehouses"]
BUYER_PAGES = ["/purchase-orders", "/suppliers"]
BOOKKEEPER_PAGES = ["/suppliers/new", "/incoming-invoices"]


def ok(reply: Any, status: int = 201) -> Any:
    assert reply.status_code == status, reply.text
    return reply.json()


def location_id(response: Any, pattern: str) -> int:
    assert response.status_code == 303, response.text
    match = re.fullmatch(pattern, response.headers["location"])
    assert match, response.headers["location"]
    return int(match.group(1))


@pytest.fixture
def keeper(make_account: AccountFactory) -> Account:
    return make_account(Role.warehouse, email="lena@firma.test")


@pytest.fixture
def bookkeeper(make_account: AccountFactory) -> Account:
    return make_account(Role.accounting, email="berta@firma.test")


@pytest.fixture
def master_data(client: TestClient, admin: Account) -> dict[str, Any]:
    """Through the API: a supplier, two articles (19 % and 7 %) and a warehouse."""
    supplier = ok(client.post("/api/v1/suppliers", json={"name": "Nord AG"}, headers=admin.headers))
    articles = [
        ok(
            client.post(
                "/api/v1/articles",
                json={"sku": sku, "name": name, "sales_price": "9.00", "purchase_price": price}
                | {"vat_rate": rate},
                headers=admin.headers,
            )
        )
        for sku, name, price, rate in [
            ("SCHR-M8", "Schraube M8", "0.35", 19),
            ("KAFFEE-1KG", "Kaffee 1 kg", "12.49", 7),
        ]
    ]
    store = ok(
        client.post(
            "/api/v1/warehouses", json={"code": "HL", "name": "Hauptlager"}, headers=admin.headers
        )
    )
    return {"supplier": supplier, "articles": articles, "warehouse": store}


def levels(client: TestClient, account: Account, article_id: int) -> dict[str, int]:
    rows = ok(
        client.get(f"/api/v1/stock/levels?article_id={article_id}", headers=account.headers), 200
    )
    return {row["warehouse_code"]: row["on_hand"] for row in rows}


# Access --------------------------------------------------------------------------------
def test_each_role_sees_its_pages_and_navigation(
    client: TestClient, make_account: AccountFactory
) -> None:
    allowed = {
        Role.warehouse: [*STOCK_PAGES, *KEEPER_PAGES, *BUYER_PAGES, "/purchase-orders/new"],
        Role.accounting: [*STOCK_PAGES, *BUYER_PAGES, *BOOKKEEPER_PAGES],
        Role.sales: [],
    }
    every = {*STOCK_PAGES, *KEEPER_PAGES, *BUYER_PAGES, *BOOKKEEPER_PAGES, "/purchase-orders/new"}
    for role, pages in allowed.items():
        web_login(client, make_account(role).email)
        for path in sorted(every):
            page = client.get(path)
            assert page.status_code == (200 if path in pages else 403), (role, path)
            if page.status_code == 403:
                assert 'data-testid="error"' in page.text
        nav = client.get("/").text.split('aria-label="Main"')[1].split("</nav>")[0]
        shown = set(re.findall(r'href="([^"]+)"', nav))
        assert ("/stock" in shown, "/purchase-orders" in shown) == (role is Role.warehouse,) * 2
        assert ("/suppliers" in shown, "/incoming-invoices" in shown) == (
            role is Role.accounting,
        ) * 2
        assert ("/fibu/journal" in shown) == (role is Role.accounting)


def test_anonymous_visitor_is_sent_to_sign_in(client: TestClient) -> None:
    page = client.get("/purchase-orders", follow_redirects=False)
    assert (page.status_code, page.headers["location"]) == (303, "/login?next=/purchase-orders")


# Stock ---------------------------------------------------------------------------------
def test_article_warehouse_receipt_and_count_through_the_pages(
    client: TestClient, keeper: Account
) -> None:
    web_login(client, keeper.email)
    made = post_form(
        client, "/warehouses", {"code": "hl", "name": "Hauptlager"}, form_page="/warehouses"
    )
    assert made.headers["location"] == "/warehouses?done=created"
    assert "Hauptlager" in client.get(made.headers["location"]).text
    article_id = location_id(
        post_form(
            client,
            "/articles/new",
            {"sku": "schr-m8", "name": "Schraube M8", "unit": "Stk"}
            | {"sales_price": "1.234,50", "purchase_price": "0,35", "vat_rate": "19"},
            form_page="/articles/new",
        ),
        r"/articles/([0-9]+)\?done=created",
    )
    url = f"/articles/{article_id}"
    page = client.get(url).text
    assert "SCHR-M8 · Schraube M8" in page
    assert "1.234,50 €" in page
    assert "No stock in any warehouse." in page
    [store] = ok(client.get("/api/v1/warehouses", headers=keeper.headers), 200)

    receipt = {"warehouse_id": str(store["id"]), "quantity": "10", "unit_cost": "0,40"}
    booked = post_form(client, f"{url}/receipts", receipt | {"reference": "AB-1"}, form_page=url)
    assert booked.headers["location"] == f"{url}?done=received"
    counted = post_form(
        client,
        f"{url}/adjustments",
        {"warehouse_id": str(store["id"]), "counted": "8", "reason": "Inventur 2026"},
        form_page=url,
    )
    assert counted.headers["location"] == f"{url}?done=adjusted"
    assert levels(client, keeper, article_id) == {"HL": 8}
    page = client.get(counted.headers["location"]).text
    assert "The inventory difference is booked." in page
    assert "Inventur 2026" in page
    assert "+10" in page
    assert "-2" in page
    assert "3,20 €" in page  # 8 × 0,40 € at the moving average
    for path in ["/stock", "/stock/movements", f"/stock/movements?article_id={article_id}"]:
        assert "SCHR-M8" in client.get(path).text
    assert "SCHR-M8" in client.get("/articles?q=schraube").text
    assert "SCHR-M8" not in client.get("/articles?q=kaffee").text


def test_stock_forms_show_refusals_next_to_the_form(client: TestClient, keeper: Account) -> None:
    web_login(client, keeper.email)
    post_form(client, "/warehouses", {"code": "HL", "name": "Hauptlager"}, form_page="/warehouses")
    taken = post_form(
        client, "/warehouses", {"code": "HL", "name": "Zwei"}, form_page="/warehouses"
    )
    assert taken.status_code == 409
    assert "taken" in taken.text
    form = {"sku": "TEE", "name": "Tee", "sales_price": "viel", "vat_rate": "19"}
    refused = post_form(client, "/articles/new", form, form_page="/articles/new")
    assert refused.status_code == 422
    assert 'data-testid="sales_price-error"' in refused.text
    assert 'value="Tee"' in refused.text
    article_id = location_id(
        post_form(client, "/articles/new", form | {"sales_price": "4"}, form_page="/articles/new"),
        r"/articles/([0-9]+)\?done=created",
    )
    twice = post_form(
        client, "/articles/new", form | {"sales_price": "4"}, form_page="/articles/new"
    )
    assert twice.status_code == 409
    assert "the SKU TEE is taken" in twice.text

    url = f"/articles/{article_id}"
    [store] = ok(client.get("/api/v1/warehouses", headers=keeper.headers), 200)
    zero = {"warehouse_id": str(store["id"]), "quantity": "0", "reference": "AB-9"}
    bad = post_form(client, f"{url}/receipts", zero, form_page=url)
    assert bad.status_code == 422
    assert 'data-testid="receipt-error"' in bad.text
    assert "Quantity:" in bad.text
    same = {"warehouse_id": str(store["id"]), "counted": "0", "reason": "Inventur"}
    nothing = post_form(client, f"{url}/adjustments", same, form_page=url)
    assert nothing.status_code == 409
    assert 'data-testid="count-error"' in nothing.text
    assert "nothing to adjust" in nothing.text
    assert levels(client, keeper, article_id) == {}
    assert client.get("/articles/999999").status_code == 404


# Purchasing ----------------------------------------------------------------------------
def test_accounting_creates_a_supplier_with_its_kreditor(
    client: TestClient, bookkeeper: Account
) -> None:
    web_login(client, bookkeeper.email)
    bad = post_form(
        client,
        "/suppliers/new",
        {"name": "Süd GmbH", "payment_terms_days": "400", "email": "nope"},
        form_page="/suppliers/new",
    )
    assert bad.status_code == 422
    assert 'data-testid="payment_terms_days-error"' in bad.text
    assert 'data-testid="email-error"' in bad.text
    made = post_form(
        client,
        "/suppliers/new",
        {"name": "Süd GmbH", "city": "München", "country": "de", "payment_terms_days": "14"},
        form_page="/suppliers/new",
    )
    assert made.status_code == 303, made.text
    page = client.get(made.headers["location"]).text
    assert "Süd GmbH is created with Kreditor 70000." in page
    [stored] = ok(client.get("/api/v1/suppliers", headers=bookkeeper.headers), 200)["items"]
    assert (stored["name"], stored["country"], stored["payment_terms_days"]) == (
        "Süd GmbH",
        "DE",
        14,
    )


def order_form(supplier_id: int, *lines: tuple[str, str, str]) -> dict[str, str]:
    data = {"supplier_id": str(supplier_id), "order_date": "02.03.2026", "expected_date": ""}
    for row, (sku, quantity, price) in enumerate(lines, start=1):
        data |= {f"sku_{row}": sku, f"quantity_{row}": quantity, f"price_{row}": price}
    return data


def test_procure_to_pay_through_the_pages(
    client: TestClient, keeper: Account, bookkeeper: Account, master_data: dict[str, Any]
) -> None:
    supplier, store = master_data["supplier"], master_data["warehouse"]
    screw, coffee = master_data["articles"]
    web_login(client, keeper.email)
    new = "/purchase-orders/new"
    wrong = post_form(
        client, new, order_form(supplier["id"], ("NOPE", "5", ""), ("", "", "")), form_page=new
    )
    assert wrong.status_code == 422
    assert "no article has the SKU" in wrong.text
    assert 'value="NOPE"' in wrong.text
    form = order_form(supplier["id"], ("schr-m8", "100", ""), ("KAFFEE-1KG", "10", "12,00"))
    order_id = location_id(
        post_form(client, new, form, form_page=new), r"/purchase-orders/([0-9]+)\?done=created"
    )
    url = f"/purchase-orders/{order_id}"
    page = client.get(url).text
    assert "Purchase order draft" in page
    assert "155,00 €" in page  # 100 × 0,35 + 10 × 12,00
    placed = post_form(client, f"{url}/place", {}, form_page=url)
    assert placed.headers["location"] == f"{url}?done=placed"
    again = post_form(client, f"{url}/place", {}, form_page=url)
    assert again.status_code == 409
    lines = ok(client.get(f"/api/v1/purchase-orders/{order_id}", headers=keeper.headers), 200)
    first, second = (str(li["id"]) for li in lines["lines"])
    receipt = {"warehouse_id": str(store["id"]), "receipt_date": DAY}
    over = post_form(client, f"{url}/receipts", receipt | {f"qty_{first}": "101"}, form_page=url)
    assert over.status_code == 409
    assert 'data-testid="receive-error"' in over.text
    assert "only 100 open" in over.text
    part = receipt | {f"qty_{first}": "60", f"qty_{second}": "0"}
    assert post_form(client, f"{url}/receipts", part, form_page=url).status_code == 303
    assert "partially received" in client.get(url).text
    rest = receipt | {f"qty_{first}": "40", f"qty_{second}": "10"}
    assert post_form(client, f"{url}/receipts", rest, form_page=url).status_code == 303
    assert levels(client, keeper, screw["id"]) == {"HL": 100}
    assert levels(client, keeper, coffee["id"]) == {"HL": 10}
    assert 'data-testid="invoice-form"' not in client.get(url).text  # not the warehouse's

    web_login(client, bookkeeper.email)
    assert f'href="/purchase-orders/{order_id}"' in client.get("/incoming-invoices").text
    invoice = {"supplier_reference": "R-4711", "invoice_date": "05.03.2026"}
    invoice_id = location_id(
        post_form(client, f"{url}/invoices", invoice, form_page=url),
        r"/incoming-invoices/([0-9]+)\?done=booked",
    )
    twice = post_form(client, f"{url}/invoices", invoice, form_page=url)
    assert twice.status_code == 409
    assert 'data-testid="invoice-error"' in twice.text
    assert "R-4711 of Nord AG is booked already" in twice.text
    inv_url = f"/incoming-invoices/{invoice_id}"
    page = client.get(f"{inv_url}?done=booked").text
    assert "The invoice is booked (posted to FIBU)." in page
    rate_19 = page.split('data-testid="rate-19"')[1].split("</tr>")[0]
    assert ("35,00 €" in rate_19, "6,65 €" in rate_19, "41,65 €" in rate_19) == (True,) * 3
    rate_7 = page.split('data-testid="rate-7"')[1].split("</tr>")[0]
    assert ("120,00 €" in rate_7, "8,40 €" in rate_7, "128,40 €" in rate_7) == (True,) * 3
    assert "170,05 €" in page

    paid = post_form(
        client, f"{inv_url}/payments", {"amount": "100,00", "payment_date": DAY}, form_page=inv_url
    )
    assert paid.headers["location"] == f"{inv_url}?done=paid"
    too_much = post_form(
        client, f"{inv_url}/payments", {"amount": "70,06", "payment_date": DAY}, form_page=inv_url
    )
    assert too_much.status_code == 409
    assert 'data-testid="payment-error"' in too_much.text
    assert 'value="70,06"' in too_much.text
    rest_paid = post_form(
        client, f"{inv_url}/payments", {"amount": "70,05", "payment_date": DAY}, form_page=inv_url
    )
    assert rest_paid.status_code == 303
    page = client.get(inv_url).text
    assert 'data-testid="invoice-status">paid<' in page
    assert 'data-testid="payment-form"' not in page
    stored = ok(
        client.get(f"/api/v1/incoming-invoices/{invoice_id}", headers=bookkeeper.headers), 200
    )
    assert (stored["status"], stored["paid_total"], stored["gross_total"]) == (
        "paid",
        "170.05",
        "170.05",
    )
    assert "R-4711" in client.get("/incoming-invoices?status=paid").text


def test_order_refusals_and_draft_deletion(
    client: TestClient, keeper: Account, bookkeeper: Account, master_data: dict[str, Any]
) -> None:
    supplier = master_data["supplier"]
    web_login(client, keeper.email)
    new = "/purchase-orders/new"
    empty = post_form(client, new, order_form(supplier["id"]), form_page=new)
    assert empty.status_code == 422
    assert 'data-testid="lines-error"' in empty.text
    doubled = order_form(supplier["id"], ("SCHR-M8", "1", ""), ("SCHR-M8", "2", ""))
    twice = post_form(client, new, doubled, form_page=new)
    assert twice.status_code == 422
    assert "on the order twice" in twice.text
    bad_quantity = post_form(
        client, new, order_form(supplier["id"], ("SCHR-M8", "viele", "")), form_page=new
    )
    assert bad_quantity.status_code == 422
    assert 'data-testid="line_1-error"' in bad_quantity.text
    order_id = location_id(
        post_form(client, new, order_form(supplier["id"], ("SCHR-M8", "5", "")), form_page=new),
        r"/purchase-orders/([0-9]+)\?done=created",
    )
    url = f"/purchase-orders/{order_id}"
    order = ok(client.get(f"/api/v1/purchase-orders/{order_id}", headers=keeper.headers), 200)
    receipt = {"warehouse_id": str(master_data["warehouse"]["id"]), "receipt_date": DAY}
    receipt[f"qty_{order['lines'][0]['id']}"] = "5"
    draft = post_form(client, f"{url}/receipts", receipt, form_page=url)
    assert draft.status_code == 409  # a draft takes no goods
    assert 'data-testid="receive-error"' in draft.text
    assert "nothing to receive" in draft.text

    web_login(client, bookkeeper.email)
    nothing = post_form(
        client,
        f"{url}/invoices",
        {"supplier_reference": "R-1", "invoice_date": DAY},
        form_page=url,
    )
    assert nothing.status_code == 409
    assert "nothing received to invoice" in nothing.text
    assert post_form(client, f"{url}/delete", {}, form_page=url).status_code == 403

    web_login(client, keeper.email)
    deleted = post_form(client, f"{url}/delete", {}, form_page=url)
    assert deleted.headers["location"] == "/purchase-orders?done=deleted"
    assert "The draft order is deleted." in client.get(deleted.headers["location"]).text
    assert client.get(url).status_code == 404
