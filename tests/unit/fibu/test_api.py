"""The FIBU API end to end in-process: company, accounts, periods, journal, audit."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from erp.auth.models import Role
from tests.conftest import Account, AccountFactory

DAY = "2026-03-10"


@pytest.fixture
def accountant(make_account: AccountFactory) -> Account:
    return make_account(Role.accounting)


def entry_body(**overrides: Any) -> dict[str, Any]:
    return {
        "document_number": "RE-100",
        "document_date": DAY,
        "posting_date": DAY,
        "text": "Beratung",
        "lines": [{"account": 1200, "debit": "119.00"}, {"account": 8400, "credit": "100.00"}],
        **overrides,
    }


def test_company_data_changes_are_audited(client: TestClient, accountant: Account) -> None:
    reply = client.patch(
        "/api/v1/company",
        json={"name": "Beispiel GmbH", "datev_client_number": 4711},
        headers=accountant.headers,
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["datev_client_number"] == 4711
    trail = client.get("/api/v1/fibu/audit?entity=company", headers=accountant.headers).json()
    assert trail["items"][0]["action"] == "updated"
    assert "Beispiel GmbH" in trail["items"][0]["changes"]
    empty = client.patch("/api/v1/company", json={}, headers=accountant.headers)
    assert empty.status_code == 422


def test_accounts_follow_the_skr03_ranges(client: TestClient, accountant: Account) -> None:
    headers = accountant.headers
    supplier = {"number": 70001, "name": "Lieferant AG", "kind": "kreditor"}
    created = client.post("/api/v1/accounts", json=supplier, headers=headers)
    assert created.status_code == 201, created.text
    assert created.headers["Location"] == "/api/v1/accounts/70001"
    assert client.post("/api/v1/accounts", json=supplier, headers=headers).status_code == 409
    wrong = {"number": 4999, "name": "Kein Kreditor", "kind": "kreditor"}
    assert client.post("/api/v1/accounts", json=wrong, headers=headers).status_code == 422
    assert client.get("/api/v1/accounts/8400", headers=headers).json()["tax_code"] == "USt19"
    assert client.get("/api/v1/accounts/55555", headers=headers).status_code == 404
    kreditoren = client.get("/api/v1/accounts?kind=kreditor", headers=headers).json()
    assert [a["number"] for a in kreditoren] == [70001]
    codes = client.get("/api/v1/tax-codes", headers=headers).json()
    assert {c["code"]: c["tax_account"] for c in codes}["USt7"] == 1771


def test_draft_update_post_reverse(client: TestClient, accountant: Account) -> None:
    headers = accountant.headers
    draft = client.post("/api/v1/journal-entries", json=entry_body(), headers=headers)
    assert draft.status_code == 201, draft.text
    entry = draft.json()
    assert (entry["status"], entry["number"]) == ("draft", None)
    assert [(li["account_number"], li["credit"]) for li in entry["lines"]][-1] == (1776, "19.00")
    url = f"/api/v1/journal-entries/{entry['id']}"
    changed = client.patch(url, json={"text": "Beratung März"}, headers=headers)
    assert changed.json()["text"] == "Beratung März"
    posted = client.post(f"{url}/post", headers=headers).json()
    assert (posted["status"], posted["number"]) == ("posted", 1)
    assert client.patch(url, json={"text": "x"}, headers=headers).status_code == 409
    assert client.delete(url, headers=headers).status_code == 409
    storno = client.post(f"{url}/reverse", json={"posting_date": DAY}, headers=headers)
    assert storno.status_code == 201, storno.text
    assert storno.json()["reverses_id"] == entry["id"]
    assert client.get(url, headers=headers).json()["reversed_by_id"] == storno.json()["id"]
    again = client.post(f"{url}/reverse", json={}, headers=headers)
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    listed = client.get("/api/v1/journal-entries?account=8400", headers=headers).json()
    assert listed["total"] == 2


def test_unbalanced_and_out_of_range_entries_are_422(
    client: TestClient, accountant: Account
) -> None:
    headers = accountant.headers
    unbalanced = entry_body(
        lines=[{"account": 1200, "debit": "1.00"}, {"account": 800, "credit": "2.00"}]
    )
    reply = client.post("/api/v1/journal-entries", json=unbalanced, headers=headers)
    assert reply.status_code == 422
    assert reply.json()["type"].endswith("/unbalanced-entry")
    both = entry_body(
        lines=[
            {"account": 1200, "debit": "1.00", "credit": "1.00"},
            {"account": 800, "credit": "1.00"},
        ]
    )
    assert client.post("/api/v1/journal-entries", json=both, headers=headers).status_code == 422
    far = entry_body(posting_date="2150-01-01")
    assert client.post("/api/v1/journal-entries", json=far, headers=headers).status_code == 422
    unknown = entry_body(
        lines=[{"account": 4711, "debit": "1.00"}, {"account": 800, "credit": "1.00"}]
    )
    assert client.post("/api/v1/journal-entries", json=unknown, headers=headers).status_code == 422


def test_a_closed_period_refuses_postings(client: TestClient, accountant: Account) -> None:
    headers = accountant.headers
    periods = client.post("/api/v1/fiscal-years", json={"year": 2026}, headers=headers).json()
    march = next(p for p in periods if p["first_day"] == "2026-03-01")
    closed = client.post(f"/api/v1/periods/{march['id']}/close", headers=headers)
    assert closed.json()["closed"] is True
    assert client.post(f"/api/v1/periods/{march['id']}/close", headers=headers).status_code == 409
    refused = client.post("/api/v1/journal-entries", json=entry_body(post=True), headers=headers)
    assert refused.status_code == 409
    assert refused.json()["type"].endswith("/period-closed")
    listed = client.get("/api/v1/periods?fiscal_year=2026", headers=headers).json()
    assert [p["closed"] for p in listed].count(True) == 1


def test_sales_may_not_book(client: TestClient, make_account: AccountFactory) -> None:
    seller = make_account(Role.sales)
    reply = client.post("/api/v1/journal-entries", json=entry_body(), headers=seller.headers)
    assert reply.status_code == 403
