"""Generated from the OpenAPI schema: bad input is a 4xx problem, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from erp.auth.models import Role
from erp.errors import PROBLEM_MEDIA_TYPE
from tests.conftest import AccountFactory
from tests.route_table import ENDPOINTS, Endpoint

API = [e for e in ENDPOINTS if e.is_api]
WITH_BODY = [pytest.param(e, id=e.id) for e in API if e.has_body]
WITH_ID = [pytest.param(e, id=e.id) for e in API if "{" in e.path and not e.has_body]
UNKNOWN_ID = 987_654


def body_schema(client: TestClient, endpoint: Endpoint) -> dict[str, Any]:
    spec = client.get("/api/v1/openapi.json").json()
    operation = spec["paths"][endpoint.path][endpoint.method.lower()]
    schema: dict[str, Any] = operation["requestBody"]["content"]["application/json"]["schema"]

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        if "$ref" in node:
            resolved: dict[str, Any] = spec["components"]["schemas"][
                node["$ref"].rsplit("/", 1)[-1]
            ]
            return resolved
        return node

    variants = schema.get("oneOf") or schema.get("anyOf")
    if not variants:
        return resolve(schema)
    # A body of several shapes: every shape's fields get the bad values.
    properties: dict[str, Any] = {}
    for variant in variants:
        properties |= resolve(variant).get("properties", {})
    return {"properties": properties}


def wrong_value(prop: dict[str, Any]) -> object:
    return 12345 if prop.get("type") == "string" else "not-the-right-type"


def bad_bodies(schema: dict[str, Any]) -> list[tuple[str, object]]:
    properties: dict[str, Any] = schema.get("properties", {})
    cases: list[tuple[str, object]] = [
        ("empty object", {}),
        ("array instead of object", []),
        ("null", None),
        ("unknown field only", {"surprise": True}),
    ]
    for name, prop in properties.items():
        cases.append((f"{name}: wrong type", {name: wrong_value(prop)}))
        cases.append((f"{name}: boolean", {name: False}))
        cases.append((f"{name}: oversized", {name: "x" * 100_000}))
    return cases


def assert_problem(response: Any, label: str) -> None:
    assert 400 <= response.status_code < 500, (label, response.status_code, response.text)
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE, label


@pytest.mark.parametrize("endpoint", WITH_BODY)
def test_bad_bodies_are_problems(
    client: TestClient, make_account: AccountFactory, endpoint: Endpoint
) -> None:
    caller = make_account(*Role)
    url = endpoint.url(caller.id)
    for label, body in bad_bodies(body_schema(client, endpoint)):
        response = client.request(endpoint.method, url, json=body, headers=caller.headers)
        assert_problem(response, label)
    for label, raw in [("malformed JSON", b'{"a":'), ("not UTF-8", b"\xff\xfe"), ("empty", b"")]:
        response = client.request(
            endpoint.method,
            url,
            content=raw,
            headers={**caller.headers, "content-type": "application/json"},
        )
        assert_problem(response, label)


@pytest.mark.parametrize("endpoint", WITH_ID)
def test_unknown_ids_are_404(
    client: TestClient, make_account: AccountFactory, endpoint: Endpoint
) -> None:
    caller = make_account(*Role)
    response = client.request(endpoint.method, endpoint.url(UNKNOWN_ID), headers=caller.headers)
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE


@pytest.mark.parametrize("endpoint", [pytest.param(e, id=e.id) for e in API if "{" in e.path])
@pytest.mark.parametrize("bad_id", ["0", "-5", "1.5", "abc", str(2**40)])
def test_malformed_ids_are_422(
    client: TestClient, make_account: AccountFactory, endpoint: Endpoint, bad_id: str
) -> None:
    caller = make_account(*Role)
    url = endpoint.url(1).replace("/1", f"/{bad_id}", 1)
    response = client.request(endpoint.method, url, headers=caller.headers, json={})
    assert_problem(response, bad_id)


def test_oversized_query_strings_are_refused(
    client: TestClient, make_account: AccountFactory
) -> None:
    caller = make_account(Role.admin)
    response = client.get("/api/v1/users", params={"q": "x" * 1000}, headers=caller.headers)
    assert_problem(response, "q")
    for params in ({"limit": 0}, {"limit": 101}, {"offset": -1}, {"limit": "many"}):
        assert_problem(
            client.get("/api/v1/users", params=params, headers=caller.headers), str(params)
        )
