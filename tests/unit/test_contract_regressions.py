"""Bugs Schemathesis found in the contract runs, each pinned by a test."""

from typing import Any

from fastapi.testclient import TestClient

from erp.auth.models import Role
from tests.conftest import Account, AccountFactory


def walk(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        return [node, *[n for v in node.values() for n in walk(v)]]
    if isinstance(node, list):
        return [n for v in node for n in walk(v)]
    return []


def test_integer_bounds_are_published_as_minimum_and_maximum(client: TestClient) -> None:
    # Bounds used to leak as raw "ge"/"le" keys, so fuzzers sent 0 for ids "valid" by schema.
    schemas = walk(client.get("/api/v1/openapi.json").json())
    assert not [s for s in schemas if "ge" in s or "le" in s]
    opportunity = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert opportunity["OpportunityCreate"]["properties"]["customer_id"]["minimum"] == 1


def test_integral_json_numbers_are_integers(
    client: TestClient, make_account: AccountFactory
) -> None:
    seller = make_account(Role.sales)
    customer = client.post(
        "/api/v1/customers", json={"name": "A", "payment_terms_days": 30.0}, headers=seller.headers
    )
    assert customer.status_code == 201
    assert customer.json()["payment_terms_days"] == 30
    fraction = client.post(
        "/api/v1/customers", json={"name": "B", "payment_terms_days": 30.5}, headers=seller.headers
    )
    assert fraction.status_code == 422


def test_activity_filter_on_unknown_customer_is_an_empty_page(
    client: TestClient, make_account: AccountFactory
) -> None:
    seller = make_account(Role.sales)
    reply = client.get("/api/v1/activities", params={"customer_id": 424242}, headers=seller.headers)
    assert reply.status_code == 200
    assert reply.json()["total"] == 0


def test_my_activities_path_does_not_collide_with_activity_ids(
    client: TestClient, make_account: AccountFactory
) -> None:
    seller = make_account(Role.sales)
    assert client.options("/api/v1/me/activities", headers=seller.headers).headers["allow"] == "GET"
    assert client.get("/api/v1/me/activities", headers=seller.headers).status_code == 200


def test_admin_cannot_remove_own_admin_role_even_with_another_admin(
    client: TestClient, admin: Account, make_account: AccountFactory
) -> None:
    make_account(Role.admin)  # a second admin exists
    reply = client.put(
        f"/api/v1/users/{admin.id}/roles", json={"roles": ["sales"]}, headers=admin.headers
    )
    assert reply.status_code == 409
    assert "own admin role" in reply.json()["detail"]


def test_blank_names_are_refused_and_the_schema_says_so(
    client: TestClient, make_account: AccountFactory
) -> None:
    seller = make_account(Role.sales)
    reply = client.post("/api/v1/customers", json={"name": "\n"}, headers=seller.headers)
    assert reply.status_code == 422
    spec = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert spec["CustomerCreate"]["properties"]["name"]["pattern"] == r"\S"


def test_pipeline_totals_beyond_the_per_deal_limit_match_the_schema(
    client: TestClient, make_account: AccountFactory
) -> None:
    seller = make_account(Role.sales)
    customer = client.post("/api/v1/customers", json={"name": "Groß"}, headers=seller.headers)
    for _ in range(2):  # two deals at the per-deal maximum: the sum needs 13 digits
        client.post(
            "/api/v1/opportunities",
            headers=seller.headers,
            json={
                "customer_id": customer.json()["id"],
                "title": "Max",
                "expected_revenue": "999999999999.99",
            },
        )
    summary = client.get("/api/v1/pipeline/summary", headers=seller.headers).json()
    assert summary["open_expected_revenue"] == "1999999999999.98"
    spec = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    pattern = spec["PipelineSummary"]["properties"]["open_expected_revenue"]["pattern"]
    import re

    assert re.fullmatch(pattern, summary["open_expected_revenue"])


def test_request_strings_are_taken_as_sent(
    client: TestClient, make_account: AccountFactory
) -> None:
    seller = make_account(Role.sales)
    too_long = client.post(
        "/api/v1/customers", json={"name": "A", "city": "\r" + "x" * 100}, headers=seller.headers
    )
    assert too_long.status_code == 422  # 101 characters, even if one is whitespace
    spaces = client.post("/api/v1/auth/login", json={"email": "a@firma.test", "password": "   "})
    assert spaces.status_code == 401  # a password of spaces is a (wrong) password, not empty
