"""Critical paths: the CRM flow, access control and form validation."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import DEMO_PASSWORD, Api
from e2e.pages.auth import LoginPage, Shell
from e2e.pages.crm import CustomerDetailPage, CustomersPage

SALES = "sales@valeo.test"


@pytest.mark.critical_path("crm-pipeline")
def test_customer_contact_opportunity_won_and_activity(page: Page, api: Api, unique: str) -> None:
    name = f"Sommer Maschinen {unique} GmbH"
    LoginPage(page).open().sign_in(SALES, DEMO_PASSWORD)
    form = CustomersPage(page).open().new_customer()
    form.fill(name=name, city="Kiel", vat_id="DE136695976", credit_limit="12.500,00")
    form.save()
    detail = CustomerDetailPage(page)
    expect(detail.name).to_have_text(name)
    detail.add_contact("Eva Becker", "Einkauf")
    expect(page.get_by_role("cell", name="Eva Becker")).to_be_visible()
    detail.add_opportunity("Rahmenvertrag 2027", "40.000")
    for stage in ("qualified", "proposal", "won"):
        detail.move("Rahmenvertrag 2027", stage)
    expect(
        detail.opportunities.get_by_role("row").filter(has_text="Rahmenvertrag 2027")
    ).to_contain_text("won")
    detail.log_activity("call", "Auftrag bestätigen", "2027-01-15")
    expect(detail.activities).to_contain_text("Auftrag bestätigen")

    token = api.token(SALES, DEMO_PASSWORD)
    [customer] = api.get("/customers", token, q=unique).json()["items"]
    assert re.fullmatch(r"K[0-9]{5}", customer["number"])
    assert 10000 <= customer["debitor_account"] <= 69999
    assert (customer["credit_limit"], customer["vat_id"]) == ("12500.00", "DE136695976")
    contacts = api.get(f"/customers/{customer['id']}/contacts", token).json()
    assert [c["name"] for c in contacts] == ["Eva Becker"]
    [deal] = api.get("/opportunities", token, customer_id=customer["id"]).json()["items"]
    assert (deal["stage"], deal["probability"], deal["expected_revenue"]) == (
        "won",
        100,
        "40000.00",
    )
    mine = api.get("/me/activities", token, limit=100).json()["items"]
    assert any(
        a["subject"] == "Auftrag bestätigen" and a["customer_id"] == customer["id"] for a in mine
    )


@pytest.mark.critical_path("access-control")
def test_warehouse_is_refused_and_anonymous_is_sent_to_login(page: Page, api: Api) -> None:
    page.goto("/customers/new")
    expect(page).to_have_url(re.compile(r".*/login\?next=/customers/new$"))
    LoginPage(page).sign_in("warehouse@valeo.test", DEMO_PASSWORD)
    expect(page.get_by_test_id("error")).to_contain_text("403")  # sent on to /customers/new
    expect(Shell(page).link("Customers")).to_have_count(0)
    response = page.goto("/pipeline")
    assert response is not None
    assert response.status == 403
    token = api.token("warehouse@valeo.test", DEMO_PASSWORD)
    assert api.get("/customers", token).status_code == 403


@pytest.mark.critical_path("form-validation")
def test_bad_customer_input_shows_errors_keeps_input_saves_nothing(
    page: Page, api: Api, unique: str
) -> None:
    LoginPage(page).open().sign_in(SALES, DEMO_PASSWORD)
    form = CustomersPage(page).open().new_customer()
    form.fill(
        name=f"Fehler {unique} KG",
        city="Bremen",
        vat_id="DE136695977",
        credit_limit="viel Geld",
        payment_terms_days="400",
    )
    form.save()
    expect(form.error("vat_id")).to_contain_text("check digit")
    expect(form.error("credit_limit")).to_be_visible()
    expect(form.error("payment_terms_days")).to_be_visible()
    expect(form.field("name")).to_have_value(f"Fehler {unique} KG")
    expect(form.field("city")).to_have_value("Bremen")
    token = api.token(SALES, DEMO_PASSWORD)
    assert api.get("/customers", token, q=unique).json()["total"] == 0
