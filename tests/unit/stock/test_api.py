"""The stock API in-process: master data, movements, levels, value, roles and bounds."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from erp.auth.models import Role
from tests.conftest import Account, AccountFactory

API = "/api/v1"
ARTICLE = {"sku": "KAB-3X1.5", "name": "Kabel NYM 3×1,5", "unit": "m", "sales_price": "1.20"}


@pytest.fixture
def keeper(make_account: AccountFactory) -> Account:
    return make_account(Role.warehouse)


def post(client: TestClient, who: Account, path: str, body: dict[str, Any]) -> dict[str, Any]:
    reply = client.post(f"{API}{path}", json=body, headers=who.headers)
    assert reply.status_code == 201, reply.text
    result: dict[str, Any] = reply.json()
    return result


@pytest.fixture
def stocked(client: TestClient, keeper: Account) -> dict[str, int]:
    """An article with 100 m in the main warehouse at 0.50, and an empty branch."""
    article = post(client, keeper, "/articles", {**ARTICLE, "purchase_price": "0.50"})
    main = post(client, keeper, "/warehouses", {"code": "HL", "name": "Hauptlager"})
    branch = post(client, keeper, "/warehouses", {"code": "FL", "name": "Filiale"})
    receipt = {"article_id": article["id"], "warehouse_id": main["id"], "quantity": 100}
    post(client, keeper, "/stock/receipts", {**receipt, "reference": "EB-2026"})
    return {"article": article["id"], "main": main["id"], "branch": branch["id"]}


def test_articles_create_read_update_search(client: TestClient, keeper: Account) -> None:
    reply = client.post(f"{API}/articles", json=ARTICLE, headers=keeper.headers)
    assert reply.status_code == 201, reply.text
    article = reply.json()
    assert reply.headers["location"] == f"{API}/articles/{article['id']}"
    assert (article["unit"], article["vat_rate"], article["purchase_price"]) == ("m", 19, "0.00")
    assert (article["sales_tax_code"], article["purchase_tax_code"]) == ("USt19", "VSt19")
    again = client.post(f"{API}/articles", json=ARTICLE, headers=keeper.headers)
    assert (again.status_code, again.json()["type"]) == (
        409,
        "https://valeo.dev/problems/sku-taken",
    )
    url = f"{API}/articles/{article['id']}"
    patched = client.patch(url, json={"vat_rate": 7, "active": False}, headers=keeper.headers)
    assert patched.status_code == 200, patched.text
    assert (patched.json()["sales_tax_code"], patched.json()["active"]) == ("USt7", False)
    assert client.get(url, headers=keeper.headers).json()["vat_rate"] == 7
    assert client.patch(url, json={}, headers=keeper.headers).status_code == 422
    assert client.patch(url, json={"name": None}, headers=keeper.headers).status_code == 422
    found = client.get(f"{API}/articles", params={"q": "nym"}, headers=keeper.headers).json()
    assert (found["total"], found["items"][0]["sku"]) == (1, "KAB-3X1.5")
    assert client.get(f"{API}/articles/999", headers=keeper.headers).status_code == 404


def test_warehouses(client: TestClient, keeper: Account) -> None:
    created = client.post(
        f"{API}/warehouses", json={"code": "HL", "name": "Hauptlager"}, headers=keeper.headers
    )
    assert created.status_code == 201, created.text
    assert created.headers["location"] == f"{API}/warehouses/{created.json()['id']}"
    duplicate = client.post(
        f"{API}/warehouses", json={"code": "HL", "name": "Zwei"}, headers=keeper.headers
    )
    assert duplicate.status_code == 409
    assert [w["code"] for w in client.get(f"{API}/warehouses", headers=keeper.headers).json()] == [
        "HL"
    ]
    one = client.get(f"{API}/warehouses/{created.json()['id']}", headers=keeper.headers)
    assert one.json()["name"] == "Hauptlager"


def test_receipts_issues_transfers_adjustments(
    client: TestClient, keeper: Account, stocked: dict[str, int]
) -> None:
    article, main, branch = stocked["article"], stocked["main"], stocked["branch"]
    key = {"article_id": article, "warehouse_id": main}
    receipt = post(
        client,
        keeper,
        "/stock/receipts",
        {**key, "quantity": 100, "unit_cost": "0.70", "reference": "WE-00001"},
    )
    assert (receipt["kind"], receipt["quantity"], receipt["unit_cost"]) == ("receipt", 100, "0.70")
    reply = client.post(
        f"{API}/stock/issues",
        json={**key, "quantity": 30, "reference": "LS-1", "reason": "Baustelle"},
        headers=keeper.headers,
    )
    assert reply.status_code == 201, reply.text
    assert reply.headers["location"] == f"{API}/stock/movements/{reply.json()['id']}"
    assert (reply.json()["quantity"], reply.json()["unit_cost"]) == (-30, "0.60")
    too_many = {**key, "quantity": 171, "reference": "LS-2"}
    short = client.post(f"{API}/stock/issues", json=too_many, headers=keeper.headers)
    assert short.status_code == 409
    assert short.headers["content-type"] == "application/problem+json"
    assert short.json()["detail"] == "170 m of KAB-3X1.5 available in HL, 171 requested"
    moved = post(
        client,
        keeper,
        "/stock/transfers",
        {
            "article_id": article,
            "from_warehouse_id": main,
            "to_warehouse_id": branch,
            "quantity": 20,
        },
    )
    assert (moved["outgoing"]["quantity"], moved["incoming"]["quantity"]) == (-20, 20)
    same = {"article_id": article, "from_warehouse_id": main, "to_warehouse_id": main}
    reply = client.post(
        f"{API}/stock/transfers", json={**same, "quantity": 1}, headers=keeper.headers
    )
    assert reply.status_code == 409
    counted = post(
        client, keeper, "/stock/adjustments", {**key, "counted": 148, "reason": "Inventur"}
    )
    assert (counted["kind"], counted["quantity"]) == ("adjustment", -2)
    delta = post(client, keeper, "/stock/adjustments", {**key, "delta": 2, "reason": "Fund"})
    assert delta["quantity"] == 2
    for body, status in [
        ({**key, "delta": 0, "reason": "nichts"}, 409),
        ({**key, "counted": 1, "delta": 1, "reason": "beides"}, 422),
        ({**key, "reason": "keins"}, 422),
        ({**key, "counted": 1}, 422),
    ]:
        assert (
            client.post(f"{API}/stock/adjustments", json=body, headers=keeper.headers).status_code
            == status
        ), body
    levels = client.get(
        f"{API}/stock/levels", params={"article_id": article}, headers=keeper.headers
    ).json()
    assert [
        (lv["warehouse_code"], lv["on_hand"], lv["available"], lv["average_cost"], lv["value"])
        for lv in levels
    ] == [("FL", 20, 20, "0.60", "12.00"), ("HL", 150, 150, "0.60", "90.00")]
    value = client.get(f"{API}/stock/inventory-value", headers=keeper.headers).json()
    assert value["total"] == "102.00"
    params = {"warehouse_id": main, "limit": 2}
    ledger = client.get(f"{API}/stock/movements", params=params, headers=keeper.headers).json()
    assert ledger["total"] == 6
    assert [m["kind"] for m in ledger["items"]] == ["adjustment", "adjustment"]
    one = client.get(f"{API}/stock/movements/{receipt['id']}", headers=keeper.headers)
    assert one.json()["reference"] == "WE-00001"
    assert client.get(f"{API}/stock/movements/9999", headers=keeper.headers).status_code == 404


def test_unknown_records_in_a_body_are_404(
    client: TestClient, keeper: Account, stocked: dict[str, int]
) -> None:
    body = {"article_id": 999, "warehouse_id": stocked["main"], "quantity": 1, "reference": "X"}
    for path in ("/stock/receipts", "/stock/issues"):
        reply = client.post(f"{API}{path}", json=body, headers=keeper.headers)
        assert reply.status_code == 404, path


@pytest.mark.parametrize(
    ("field", "value", "status"),
    [
        ("quantity", 0, 422),
        ("quantity", 1_000_001, 422),
        ("quantity", -1, 422),
        ("quantity", "2", 422),
        ("quantity", True, 422),
        ("quantity", 2.5, 422),
        ("quantity", 2.0, 201),
        ("quantity", 1_000_000, 409),  # within bounds, more than is there
        ("reference", "", 422),
        ("reference", "R" * 37, 422),
        ("reference", "LS 1", 422),
        ("article_id", 0, 422),
        ("article_id", 2**31, 422),
        ("extra", 1, 422),
    ],
)
def test_bounds_are_enforced(
    client: TestClient,
    keeper: Account,
    stocked: dict[str, int],
    field: str,
    value: object,
    status: int,
) -> None:
    body = {
        "article_id": stocked["article"],
        "warehouse_id": stocked["main"],
        "quantity": 1,
        "reference": "LS-9",
        field: value,
    }
    reply = client.post(f"{API}/stock/issues", json=body, headers=keeper.headers)
    assert reply.status_code == status, reply.text


@pytest.mark.parametrize(
    "body",
    [
        {**ARTICLE, "sku": "kab-1"},
        {**ARTICLE, "vat_rate": 16},
        {**ARTICLE, "sales_price": "-1.00"},
        {**ARTICLE, "sales_price": 1.2},
        {**ARTICLE, "unit": "Stück Karton"},
        {**ARTICLE, "name": " "},
    ],
)
def test_invalid_articles_are_422(
    client: TestClient, keeper: Account, body: dict[str, Any]
) -> None:
    assert client.post(f"{API}/articles", json=body, headers=keeper.headers).status_code == 422


WRITES = [
    ("POST", "/articles"),
    ("PATCH", "/articles/1"),
    ("POST", "/warehouses"),
    ("POST", "/stock/receipts"),
    ("POST", "/stock/issues"),
    ("POST", "/stock/transfers"),
    ("POST", "/stock/adjustments"),
]
KEEPER_READS = [
    ("GET", "/stock/movements"),
    ("GET", "/stock/movements/1"),
]
SHARED_READS = [("GET", "/stock/inventory-value")]
CATALOGUE_READS = [  # sales too: it takes orders
    ("GET", "/articles"),
    ("GET", "/articles/1"),
    ("GET", "/warehouses"),
    ("GET", "/warehouses/1"),
    ("GET", "/stock/levels"),
]


def test_roles(
    client: TestClient, make_account: AccountFactory, keeper: Account, stocked: dict[str, int]
) -> None:
    seller, accountant = make_account(Role.sales), make_account(Role.accounting)
    admin = make_account(Role.admin)
    for method, path in WRITES + KEEPER_READS + SHARED_READS:
        reply = client.request(method, f"{API}{path}", json={}, headers=seller.headers)
        assert reply.status_code == 403, (method, path)
        assert client.request(method, f"{API}{path}").status_code == 401, (method, path)
    for method, path in WRITES + KEEPER_READS:
        reply = client.request(method, f"{API}{path}", json={}, headers=accountant.headers)
        assert reply.status_code == 403, (method, path)
    for _method, path in SHARED_READS + CATALOGUE_READS:
        assert client.get(f"{API}{path}", headers=accountant.headers).status_code == 200, path
    for _method, path in CATALOGUE_READS:
        assert client.get(f"{API}{path}", headers=seller.headers).status_code == 200, path
    for _method, path in SHARED_READS + KEEPER_READS + CATALOGUE_READS:
        assert client.get(f"{API}{path}", headers=admin.headers).status_code == 200, path
    body = {"sku": "ADMIN-1", "name": "Vom Admin", "sales_price": "1.00"}
    assert client.post(f"{API}/articles", json=body, headers=admin.headers).status_code == 201


def test_the_contract_publishes_links_bounds_and_conflicts(client: TestClient) -> None:
    schema = client.get(f"{API}/openapi.json").json()
    receipts = schema["paths"][f"{API}/stock/receipts"]["post"]
    assert receipts["operationId"] == "createStockReceipt"
    assert set(receipts["responses"]) >= {"201", "400", "401", "403", "404", "409", "422"}
    assert receipts["responses"]["201"]["links"]["GetMovement"]["operationId"] == (
        "getStockMovement"
    )
    transfer = schema["paths"][f"{API}/stock/transfers"]["post"]["responses"]["201"]["links"]
    assert transfer["GetIncoming"]["parameters"] == {"movement_id": "$response.body#/incoming/id"}
    quantity = schema["components"]["schemas"]["IssueCreate"]["properties"]["quantity"]
    assert (quantity["minimum"], quantity["maximum"], quantity["type"]) == (1, 1_000_000, "integer")
    created = schema["paths"][f"{API}/articles"]["post"]["responses"]["201"]["links"]
    assert {link["operationId"] for link in created.values()} == {"getArticle", "updateArticle"}
