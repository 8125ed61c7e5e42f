"""CRM through the API on SQLite and PostgreSQL: the flows a sales user runs."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from erp.auth.models import Role
from tests.conftest import Account, AccountFactory

CUSTOMER = {
    "name": "Müller Maschinenbau GmbH",
    "street": "Industriestraße 12",
    "postal_code": "70565",
    "city": "Stuttgart",
    "vat_id": "DE136695976",
    "email": "info@mueller.example",
    "payment_terms_days": 30,
    "credit_limit": "25000.00",
}


@pytest.fixture
def seller(make_account: AccountFactory) -> Account:
    return make_account(Role.sales, email="sven@firma.test")


def create(client: TestClient, who: Account, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"/api/v1{path}", json=body, headers=who.headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    assert response.headers["location"].endswith(f"/{result['id']}")
    return result


def test_customer_create_read_update_archive(client: TestClient, seller: Account) -> None:
    customer = create(client, seller, "/customers", CUSTOMER)
    assert customer["number"] == "K10001"
    assert customer["debitor_account"] == 10000
    assert customer["credit_limit"] == "25000.00"
    url = f"/api/v1/customers/{customer['id']}"
    patched = client.patch(url, json={"city": "Esslingen", "vat_id": None}, headers=seller.headers)
    assert patched.status_code == 200
    assert (patched.json()["city"], patched.json()["vat_id"]) == ("Esslingen", None)
    assert patched.json()["name"] == CUSTOMER["name"]  # fields not sent stay as they were
    null_name = client.patch(url, json={"name": None}, headers=seller.headers)
    assert null_name.status_code == 422
    archived = client.post(f"{url}/archive", headers=seller.headers)
    assert archived.json()["archived"] is True
    assert client.get(url, headers=seller.headers).status_code == 200  # still readable
    assert client.patch(url, json={"city": "X"}, headers=seller.headers).status_code == 409
    listed = client.get("/api/v1/customers", headers=seller.headers).json()
    assert listed["total"] == 0
    listed = client.get(
        "/api/v1/customers", params={"include_archived": True}, headers=seller.headers
    ).json()
    assert [c["id"] for c in listed["items"]] == [customer["id"]]
    history = client.get(f"{url}/history", headers=seller.headers).json()
    assert [h["action"] for h in history] == ["create", "update", "archive"]
    assert history[1]["changes"]["city"] == ["Stuttgart", "Esslingen"]


def test_invalid_vat_id_names_the_problem(client: TestClient, seller: Account) -> None:
    response = client.post(
        "/api/v1/customers", json={**CUSTOMER, "vat_id": "DE136695977"}, headers=seller.headers
    )
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["loc"] == ["body", "vat_id"]
    assert "check digit" in error["msg"]


def test_money_is_exact_strings(client: TestClient, seller: Account) -> None:
    for bad in [25000, 25000.5, "25000", "25000.505", "-1.00", True]:
        response = client.post(
            "/api/v1/customers", json={**CUSTOMER, "credit_limit": bad}, headers=seller.headers
        )
        assert response.status_code == 422, bad


def test_delete_typo_but_archive_once_referenced(client: TestClient, seller: Account) -> None:
    typo = create(client, seller, "/customers", {"name": "Dublette"})
    assert (
        client.delete(f"/api/v1/customers/{typo['id']}", headers=seller.headers).status_code == 204
    )
    assert client.get(f"/api/v1/customers/{typo['id']}", headers=seller.headers).status_code == 404
    used = create(client, seller, "/customers", {"name": "Echt GmbH"})
    create(client, seller, f"/customers/{used['id']}/contacts", {"name": "Eva Becker"})
    refused = client.delete(f"/api/v1/customers/{used['id']}", headers=seller.headers)
    assert refused.status_code == 409
    assert "archive" in refused.json()["detail"]


def test_pipeline_flow_and_summary(client: TestClient, seller: Account) -> None:
    customer = create(client, seller, "/customers", CUSTOMER)
    deal = create(
        client,
        seller,
        "/opportunities",
        {
            "customer_id": customer["id"],
            "title": "Rahmenvertrag",
            "expected_revenue": "10000.00",
            "close_date": "2027-03-31",
        },
    )
    url = f"/api/v1/opportunities/{deal['id']}/stage"
    jump = client.post(url, json={"stage": "won"}, headers=seller.headers)
    assert jump.status_code == 409
    assert jump.json()["type"].endswith("/illegal-stage-change")
    for stage in ("qualified", "proposal"):
        assert client.post(url, json={"stage": stage}, headers=seller.headers).status_code == 200
    no_reason = client.post(url, json={"stage": "lost"}, headers=seller.headers)
    assert no_reason.status_code == 422
    lost = client.post(url, json={"stage": "lost", "lost_reason": "Preis"}, headers=seller.headers)
    assert (lost.json()["stage"], lost.json()["probability"]) == ("lost", 0)
    create(
        client,
        seller,
        "/opportunities",
        {"customer_id": customer["id"], "title": "Neu", "expected_revenue": "500.00"},
    )
    summary = client.get("/api/v1/pipeline/summary", headers=seller.headers).json()
    by_stage = {s["stage"]: s for s in summary["stages"]}
    assert by_stage["lead"] == {
        "stage": "lead",
        "count": 1,
        "expected_revenue": "500.00",
        "weighted_revenue": "50.00",
    }
    assert by_stage["lost"]["count"] == 1
    assert summary["open_weighted_revenue"] == "50.00"


def test_activities_and_my_open_list(client: TestClient, seller: Account) -> None:
    customer = create(client, seller, "/customers", CUSTOMER)
    first = create(
        client,
        seller,
        "/activities",
        {
            "customer_id": customer["id"],
            "kind": "call",
            "subject": "Rückruf",
            "due_date": "2027-01-10",
        },
    )
    create(
        client,
        seller,
        "/activities",
        {
            "customer_id": customer["id"],
            "kind": "task",
            "subject": "Angebot",
            "due_date": "2027-01-05",
        },
    )
    mine = client.get("/api/v1/me/activities", headers=seller.headers).json()
    assert [a["subject"] for a in mine["items"]] == ["Angebot", "Rückruf"]
    done = client.patch(
        f"/api/v1/activities/{first['id']}", json={"done": True}, headers=seller.headers
    )
    assert done.json()["done_at"] is not None
    assert client.get("/api/v1/me/activities", headers=seller.headers).json()["total"] == 1


def test_roles_accounting_reads_customers_only_warehouse_nothing(
    client: TestClient, seller: Account, make_account: AccountFactory
) -> None:
    customer = create(client, seller, "/customers", CUSTOMER)
    accountant = make_account(Role.accounting)
    warehouse = make_account(Role.warehouse)
    url = f"/api/v1/customers/{customer['id']}"
    assert client.get(url, headers=accountant.headers).status_code == 200
    assert client.patch(url, json={"city": "X"}, headers=accountant.headers).status_code == 403
    assert client.get("/api/v1/opportunities", headers=accountant.headers).status_code == 403
    assert client.get(url, headers=warehouse.headers).status_code == 403
    assert client.get("/api/v1/customers", headers=warehouse.headers).status_code == 403


def test_openapi_links_point_from_create_to_operations(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    operation_ids = {op["operationId"] for p in spec["paths"].values() for op in p.values()}
    for path in (
        "/api/v1/customers",
        "/api/v1/opportunities",
        "/api/v1/activities",
        "/api/v1/customers/{customer_id}/contacts",
    ):
        links = spec["paths"][path]["post"]["responses"]["201"]["links"]
        assert len(links) >= 3
        assert {link["operationId"] for link in links.values()} <= operation_ids
