"""The published schema tells the truth about every operation."""

from typing import Any

import pytest
from fastapi.testclient import TestClient


@pytest.fixture
def schema(client: TestClient) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    result: dict[str, Any] = response.json()
    return result


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m, p, op) for p, ops in schema["paths"].items() for m, op in ops.items()]


def test_operation_ids_are_unique_camel_case(schema: dict[str, Any]) -> None:
    ids = [op["operationId"] for _, _, op in operations(schema)]
    assert len(ids) == len(set(ids))
    assert all(i[0].islower() and "_" not in i for i in ids)


def test_every_error_response_is_a_problem(schema: dict[str, Any]) -> None:
    for method, path, op in operations(schema):
        for status, response in op["responses"].items():
            if status.startswith("4"):
                content = response["content"]
                assert list(content) == ["application/problem+json"], (method, path, status)


def test_protected_operations_declare_401_with_challenge_and_403(schema: dict[str, Any]) -> None:
    for method, path, op in operations(schema):
        if op.get("security"):
            unauthorized = op["responses"]["401"]
            assert unauthorized["headers"]["WWW-Authenticate"]["required"] is True, (method, path)
    assert "403" in schema["paths"]["/api/v1/users"]["get"]["responses"]
    assert "403" not in schema["paths"]["/api/v1/auth/me"]["get"]["responses"]


def test_bodies_and_ids_declare_400_404_422(schema: dict[str, Any]) -> None:
    roles = schema["paths"]["/api/v1/users/{user_id}/roles"]["put"]["responses"]
    assert {"400", "404", "422", "409"} <= set(roles)
    assert "422" not in schema["paths"]["/api/v1/auth/me"]["get"]["responses"]


def test_fastapi_default_validation_schema_is_gone(schema: dict[str, Any]) -> None:
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    assert "Problem" in schema["components"]["schemas"]


def test_login_declares_throttling(schema: dict[str, Any]) -> None:
    login = schema["paths"]["/api/v1/auth/login"]["post"]
    assert login["responses"]["429"]["headers"]["Retry-After"]["required"] is True
    assert "security" not in login
