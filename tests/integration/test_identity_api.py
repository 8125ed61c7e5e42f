"""Identity through the real app on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from erp.app import create_app
from erp.auth.models import Role
from erp.config import Environment
from tests.conftest import PASSWORD, Account, AccountFactory, make_settings


def register(client: TestClient, email: str, password: str = PASSWORD) -> dict[str, object]:
    response = client.post(
        "/api/v1/auth/register",
        json={"email": email, "full_name": "Nina Neu", "password": password},
    )
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def login(client: TestClient, email: str, password: str = PASSWORD) -> str:
    response = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def test_register_login_me_logout(client: TestClient) -> None:
    created = register(client, "Nina@Firma.test")
    assert created["roles"] == []
    assert created["email"] == "nina@firma.test"
    token = login(client, "nina@firma.test")
    headers = {"Authorization": f"Bearer {token}"}
    me = client.get("/api/v1/auth/me", headers=headers).json()
    assert (me["email"], me["roles"]) == ("nina@firma.test", [])
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_stranger_sees_no_business_data(client: TestClient) -> None:
    register(client, "stranger@firma.test")
    headers = {"Authorization": f"Bearer {login(client, 'stranger@firma.test')}"}
    assert client.get("/api/v1/users", headers=headers).status_code == 403


def test_duplicate_and_weak_registrations(client: TestClient) -> None:
    register(client, "nina@firma.test")
    again = client.post(
        "/api/v1/auth/register",
        json={"email": "NINA@firma.test", "full_name": "N", "password": PASSWORD},
    )
    assert again.status_code == 409
    weak = client.post(
        "/api/v1/auth/register", json={"email": "w@firma.test", "full_name": "W", "password": "abc"}
    )
    assert weak.status_code == 422
    assert "password" in weak.json()["detail"]


def test_login_throttling_per_account_answers_429_with_retry_after(
    client: TestClient, admin: Account
) -> None:
    for _ in range(5):
        response = client.post(
            "/api/v1/auth/login", json={"email": admin.email, "password": "wrong-pass-1"}
        )
        assert response.status_code == 401
    locked = client.post("/api/v1/auth/login", json={"email": admin.email, "password": PASSWORD})
    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) > 0
    # Another account is unaffected: throttling is per account, not per client address.
    register(client, "other@firma.test")
    login(client, "other@firma.test")


def test_admin_manages_roles_and_accounts(
    client: TestClient, admin: Account, make_account: AccountFactory
) -> None:
    clerk = make_account(email="clerk@firma.test")
    url = f"/api/v1/users/{clerk.id}"
    granted = client.put(
        f"{url}/roles", json={"roles": ["sales", "accounting"]}, headers=admin.headers
    )
    assert granted.json()["roles"] == ["accounting", "sales"]
    assert client.get(url, headers=admin.headers).json()["roles"] == ["accounting", "sales"]
    page = client.get("/api/v1/users", params={"limit": 1}, headers=admin.headers).json()
    assert (page["total"], page["limit"], len(page["items"])) == (2, 1, 1)
    assert page["items"][0]["email"] == "admin@valeo.test"  # ordered by e-mail
    assert client.post(f"{url}/deactivate", headers=admin.headers).json()["is_active"] is False
    assert client.get("/api/v1/auth/me", headers=clerk.headers).status_code == 401
    assert client.post(f"{url}/activate", headers=admin.headers).json()["is_active"] is True
    own = client.post(f"/api/v1/users/{admin.id}/deactivate", headers=admin.headers)
    assert own.status_code == 409
    last = client.put(f"/api/v1/users/{admin.id}/roles", json={"roles": []}, headers=admin.headers)
    assert last.status_code == 409
    assert last.json()["type"].endswith("/last-admin")


def test_unknown_role_is_refused(client: TestClient, admin: Account) -> None:
    response = client.put(
        f"/api/v1/users/{admin.id}/roles", json={"roles": ["emperor"]}, headers=admin.headers
    )
    assert response.status_code == 422


@pytest.mark.parametrize("environment", [Environment.development, Environment.test])
def test_first_user_is_admin_only_in_development(
    tmp_path: Path, database_url: str, environment: Environment
) -> None:
    # Development refuses the cheap test hashing, so this test pays for real argon2.
    overrides = {"argon2_memory_kib": 19_456, "argon2_time_cost": 2}
    settings = make_settings(tmp_path, database_url, environment=environment, **overrides)
    with TestClient(create_app(settings)) as client:
        first = register(client, "first@firma.test")
        second = register(client, "second@firma.test")
    expected = [Role.admin.value] if environment is Environment.development else []
    assert first["roles"] == expected
    assert second["roles"] == []


def test_health_reports_database_at_head(client: TestClient) -> None:
    ready = client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json()["dependencies"][0] == {"name": "database", "ok": True, "detail": "at head"}
    assert client.get("/health/live").json()["status"] == "ok"
