"""Generated from the route table: who may call what, and CSRF on every form."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from erp.auth.models import Role
from erp.deps import AccessRule
from tests.conftest import Account, AccountFactory
from tests.route_table import ENDPOINTS, PROTECTED, Endpoint
from tests.web_helpers import csrf_from, web_login

ALL_ROLES = frozenset(Role)


def test_every_route_declares_its_access() -> None:
    undeclared = [e.id for e in ENDPOINTS if e.access is None]
    assert undeclared == []
    assert len(PROTECTED) >= 8  # the matrix below is not vacuous


def test_every_web_form_post_checks_csrf() -> None:
    posts = [e for e in ENDPOINTS if not e.is_api and e.method == "POST"]
    assert posts
    assert [e.id for e in posts if not e.checks_csrf] == []


REFUSALS = [
    pytest.param(endpoint, role, id=f"{endpoint.id} as {role or 'no role'}")
    for endpoint in PROTECTED
    for role in [*sorted(Role), None]
    if isinstance(endpoint.access, AccessRule)
    and not endpoint.access.admits(frozenset({role}) if role else frozenset())
]
ANONYMOUS = [pytest.param(e, id=e.id) for e in PROTECTED]


def call(client: TestClient, endpoint: Endpoint, object_id: int, headers: dict[str, str]) -> int:
    data = {"csrf_token": csrf_from(client, "/login")} if endpoint.checks_csrf else None
    response = client.request(
        endpoint.method,
        endpoint.url(object_id),
        headers=headers,
        data=data,
        follow_redirects=False,
    )
    return response.status_code


@pytest.mark.parametrize(("endpoint", "role"), REFUSALS)
def test_role_without_permission_is_refused_403(
    client: TestClient,
    make_account: AccountFactory,
    admin: Account,
    endpoint: Endpoint,
    role: Role | None,
) -> None:
    caller = make_account(*([role] if role else []))
    if endpoint.is_api:
        assert call(client, endpoint, admin.id, caller.headers) == 403
    else:
        web_login(client, caller.email)
        assert call(client, endpoint, admin.id, {}) == 403


@pytest.mark.parametrize("endpoint", ANONYMOUS)
def test_anonymous_caller_is_refused(
    client: TestClient, admin: Account, endpoint: Endpoint
) -> None:
    status = call(client, endpoint, admin.id, {})
    assert status == (401 if endpoint.is_api else 303)


@pytest.mark.parametrize("endpoint", ANONYMOUS)
def test_permitted_role_passes_the_access_check(
    client: TestClient, make_account: AccountFactory, admin: Account, endpoint: Endpoint
) -> None:
    assert isinstance(endpoint.access, AccessRule)
    caller = make_account(*sorted(endpoint.access.roles))
    headers = caller.headers if endpoint.is_api else {}
    if not endpoint.is_api:
        web_login(client, caller.email)
    assert call(client, endpoint, admin.id, headers) not in {401, 403}


FORMS = [pytest.param(e, id=e.id) for e in ENDPOINTS if not e.is_api and e.method == "POST"]


@pytest.mark.parametrize("endpoint", FORMS)
@pytest.mark.parametrize("token", [None, "forged-token"])
def test_form_post_without_valid_csrf_token_is_refused(
    client: TestClient, make_account: AccountFactory, endpoint: Endpoint, token: str | None
) -> None:
    caller = make_account(*ALL_ROLES)
    web_login(client, caller.email)
    data = {"csrf_token": token} if token else {}
    response = client.post(endpoint.url(caller.id), data=data, follow_redirects=False)
    assert response.status_code == 403
    assert "security token" in response.text or "expired" in response.text
