"""CRM pages through the in-process app."""

import re

import pytest
from fastapi.testclient import TestClient

from erp.auth.models import Role
from erp.web import crm
from tests.conftest import Account, AccountFactory
from tests.web_helpers import post_form, web_login


@pytest.fixture
def seller(client: TestClient, make_account: AccountFactory) -> Account:
    account = make_account(Role.sales, email="sven@firma.test")
    web_login(client, account.email)
    return account


def new_customer(client: TestClient, **fields: str) -> str:
    data = {
        "name": "Sommer GmbH",
        "city": "Kiel",
        "country": "de",
        "credit_limit": "12.500,00",
        "payment_terms_days": "30",
        **fields,
    }
    response = post_form(client, "/customers/new", data, form_page="/customers/new")
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


def test_sales_creates_and_edits_a_customer(client: TestClient, seller: Account) -> None:
    url = new_customer(client, vat_id="DE 136 695 976")
    page = client.get(url)
    assert "Sommer GmbH" in page.text
    assert "12.500,00 €" in page.text
    assert "DE136695976" in page.text
    edit = post_form(
        client,
        f"{url}/edit",
        {
            "name": "Sommer AG",
            "city": "Kiel",
            "country": "DE",
            "credit_limit": "0",
            "payment_terms_days": "14",
        },
        form_page=f"{url}/edit",
    )
    assert edit.status_code == 303
    assert "Sommer AG" in client.get(url).text
    listing = client.get("/customers?q=sommer")
    assert "Sommer AG" in listing.text


def test_form_errors_are_shown_next_to_fields(client: TestClient, seller: Account) -> None:
    data = {"name": "", "credit_limit": "viel", "payment_terms_days": "400", "vat_id": "DE1"}
    response = post_form(client, "/customers/new", data, form_page="/customers/new")
    assert response.status_code == 422
    for field in ("name", "credit_limit", "payment_terms_days"):
        assert f'data-testid="{field}-error"' in response.text
    data = {"name": "X", "vat_id": "DE136695977"}
    response = post_form(client, "/customers/new", data, form_page="/customers/new")
    assert "check digit" in response.text


def test_contacts_opportunities_activities_on_the_detail_page(
    client: TestClient, seller: Account
) -> None:
    url = new_customer(client)
    assert (
        post_form(
            client, f"{url}/contacts", {"name": "Eva Becker", "role": "Einkauf"}, form_page=url
        ).status_code
        == 303
    )
    assert (
        post_form(
            client,
            f"{url}/opportunities",
            {"title": "Großauftrag", "expected_revenue": "40.000"},
            form_page=url,
        ).status_code
        == 303
    )
    page = client.get(url).text
    assert "Eva Becker" in page
    assert "40.000,00 €" in page
    deal_id = re.search(r"/opportunities/(\d+)/stage", page).group(1)  # type: ignore[union-attr]
    assert (
        post_form(
            client,
            f"{url}/activities",
            {
                "kind": "call",
                "subject": "Nachfassen",
                "due_date": "2027-01-05",
                "opportunity_id": deal_id,
            },
            form_page=url,
        ).status_code
        == 303
    )
    moved = post_form(
        client, f"/opportunities/{deal_id}/stage", {"stage": "qualified"}, form_page=url
    )
    assert moved.status_code == 303
    refused = post_form(client, f"/opportunities/{deal_id}/stage", {"stage": "won"}, form_page=url)
    assert refused.status_code == 409
    assert "cannot move" in refused.text
    activity_id = re.search(r"/activities/(\d+)/done", client.get(url).text).group(1)  # type: ignore[union-attr]
    done = post_form(
        client, f"/activities/{activity_id}/done", {"back": "dashboard"}, form_page=url
    )
    assert done.headers["location"] == "/"


def test_bad_detail_forms_report_on_the_page(client: TestClient, seller: Account) -> None:
    url = new_customer(client)
    response = post_form(
        client, f"{url}/opportunities", {"title": "", "expected_revenue": "x"}, form_page=url
    )
    assert response.status_code == 422
    assert 'data-testid="form-error"' in response.text


def test_archive_and_restore_from_the_page(client: TestClient, seller: Account) -> None:
    url = new_customer(client)
    post_form(client, f"{url}/archive", {"archived": "true"}, form_page=url)
    page = client.get(url).text
    assert "archived" in page
    assert "New contact…" not in page
    assert "Sommer GmbH" not in client.get("/customers").text
    assert "Sommer GmbH" in client.get("/customers?include_archived=true").text
    post_form(client, f"{url}/archive", {"archived": "false"}, form_page=url)
    assert "New contact…" in client.get(url).text


def test_dashboard_and_pipeline_board(client: TestClient, seller: Account) -> None:
    url = new_customer(client)
    post_form(
        client, f"{url}/opportunities", {"title": "Deal", "expected_revenue": "1000"}, form_page=url
    )
    post_form(
        client, f"{url}/activities", {"kind": "task", "subject": "Angebot schreiben"}, form_page=url
    )
    dashboard = client.get("/").text
    assert 'data-testid="pipeline-summary"' in dashboard
    assert "Angebot schreiben" in dashboard
    board = client.get("/pipeline").text
    assert 'data-testid="stage-lead"' in board
    assert "Deal" in board
    deal_id = re.search(r"/opportunities/(\d+)/stage", board).group(1)  # type: ignore[union-attr]
    moved = post_form(
        client,
        f"/opportunities/{deal_id}/stage",
        {"stage": "qualified", "back": "pipeline"},
        form_page="/pipeline",
    )
    assert moved.headers["location"] == "/pipeline"


def test_accounting_reads_customers_without_sales_sections(
    client: TestClient, make_account: AccountFactory, seller: Account
) -> None:
    url = new_customer(client)
    accountant = make_account(Role.accounting)
    web_login(client, accountant.email)
    page = client.get(url)
    assert page.status_code == 200
    assert "Opportunities" not in page.text
    assert client.get("/pipeline").status_code == 403
    assert client.get("/customers/new").status_code == 403


def test_warehouse_is_refused_the_crm(client: TestClient, make_account: AccountFactory) -> None:
    web_login(client, make_account(Role.warehouse).email)
    assert client.get("/customers").status_code == 403
    assert "Customers" not in client.get("/").text


def test_pipeline_summary_is_the_same_when_the_board_is_full(
    client: TestClient, seller: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = new_customer(client)
    for title, revenue in (("A", "1000"), ("B", "2.500,50")):
        data = {"title": title, "expected_revenue": revenue}
        post_form(client, f"{url}/opportunities", data, form_page=url)
    summary = re.compile(r'data-testid="stage-lead">\s*<h2>Lead</h2>\s*<p><small>(.*?)</small>')
    complete = summary.search(client.get("/pipeline").text)
    monkeypatch.setattr(crm, "BOARD_SIZE", 1)  # the summary is counted, not taken from the board
    full = client.get("/pipeline").text
    assert full.count('class="card"') == 1
    counted = summary.search(full)
    assert complete
    assert counted
    assert complete.group(1) == counted.group(1) == "2 · 3.500,50 € · weighted 350,05 €"


def test_dashboard_counts_all_open_activities(client: TestClient, seller: Account) -> None:
    url = new_customer(client)
    for n in range(12):
        data = {"kind": "task", "subject": f"Aufgabe {n}"}
        post_form(client, f"{url}/activities", data, form_page=url)
    dashboard = client.get("/").text
    assert "My open activities (12)" in dashboard
    assert dashboard.count("· task: Aufgabe") == 10
    assert dashboard.count(f'<a href="{url}">Sommer GmbH</a>') == 10
