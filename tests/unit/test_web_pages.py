"""Pages through the in-process app: sign-in, registration, dashboard, admin roles."""

from fastapi.testclient import TestClient

from erp.auth.models import Role
from tests.conftest import PASSWORD, Account, AccountFactory
from tests.web_helpers import csrf_from, post_form, web_login


def test_anonymous_dashboard_redirects_to_login_with_next(client: TestClient) -> None:
    response = client.get("/admin/users?q=x", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/admin/users%3Fq%3Dx"


def test_login_sets_a_signed_httponly_samesite_cookie(client: TestClient, admin: Account) -> None:
    response = web_login(client, admin.email)
    cookie = response.headers["set-cookie"]
    assert "valeo_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    dashboard = client.get("/")
    assert dashboard.status_code == 200
    assert "Users &amp; roles" in dashboard.text


def test_login_errors_keep_the_email_and_answer_400(client: TestClient, admin: Account) -> None:
    response = post_form(
        client, "/login", {"email": admin.email, "password": "wrong-password-1"}, form_page="/login"
    )
    assert response.status_code == 400
    assert 'value="admin@valeo.test"' in response.text
    assert "wrong" in response.text
    response = post_form(client, "/login", {"email": "", "password": ""}, form_page="/login")
    assert response.status_code == 422


def test_login_redirects_only_to_local_paths(client: TestClient, admin: Account) -> None:
    response = post_form(
        client,
        "/login",
        {"email": admin.email, "password": PASSWORD, "next": "//evil.example/x"},
        form_page="/login",
    )
    assert response.headers["location"] == "/"
    assert client.get("/login?next=/admin/users", follow_redirects=False).headers["location"] == (
        "/admin/users"
    )


def test_register_shows_errors_next_to_fields_and_keeps_input(client: TestClient) -> None:
    response = post_form(
        client,
        "/register",
        {
            "email": "not-an-email",
            "full_name": "Karl Kunde",
            "password": "short",
            "password_confirm": "other",
        },
        form_page="/register",
    )
    assert response.status_code == 422
    assert 'data-testid="email-error"' in response.text
    assert 'data-testid="password_confirm-error"' in response.text
    assert 'value="Karl Kunde"' in response.text
    assert "short" not in response.text.split("<main")[1]  # passwords are never echoed


def test_register_policy_and_duplicate_errors(client: TestClient, admin: Account) -> None:
    data = {
        "email": "k@firma.test",
        "full_name": "K",
        "password": "onlyletters",
        "password_confirm": "onlyletters",
    }
    response = post_form(client, "/register", data, form_page="/register")
    assert 'data-testid="password-error"' in response.text
    data = {**data, "email": admin.email, "password": PASSWORD, "password_confirm": PASSWORD}
    response = post_form(client, "/register", data, form_page="/register")
    assert "exists already" in response.text


def test_self_registered_user_waits_for_a_role(client: TestClient) -> None:
    data = {
        "email": "neu@firma.test",
        "full_name": "Nina Neu",
        "password": PASSWORD,
        "password_confirm": PASSWORD,
    }
    response = post_form(client, "/register", data, form_page="/register")
    assert response.status_code == 303
    assert response.headers["location"] == "/?welcome=1"  # signed in straight away
    page = client.get("/?welcome=1")
    assert 'data-testid="welcome"' in page.text
    assert page.headers["cache-control"] == "no-store"
    assert 'data-testid="no-role"' in page.text
    assert client.get("/admin/users").status_code == 403


def test_admin_grants_and_revokes_roles(
    client: TestClient, admin: Account, make_account: AccountFactory
) -> None:
    clerk = make_account(email="clerk@firma.test")
    web_login(client, admin.email)
    response = post_form(
        client,
        f"/admin/users/{clerk.id}/roles",
        {"roles": ["sales", "warehouse"]},
        form_page="/admin/users",
    )
    assert response.status_code == 303
    page = client.get(response.headers["location"])
    assert "Saved changes to clerk@firma.test" in page.text
    me = client.get("/api/v1/auth/me", headers=clerk.headers).json()
    assert me["roles"] == ["sales", "warehouse"]
    post_form(client, f"/admin/users/{clerk.id}/roles", {}, form_page="/admin/users")
    assert client.get("/api/v1/auth/me", headers=clerk.headers).json()["roles"] == []


def test_admin_page_refuses_unknown_roles_and_last_admin(
    client: TestClient, admin: Account
) -> None:
    web_login(client, admin.email)
    response = post_form(
        client, f"/admin/users/{admin.id}/roles", {"roles": ["emperor"]}, form_page="/admin/users"
    )
    assert response.status_code == 422
    response = post_form(
        client, f"/admin/users/{admin.id}/roles", {"roles": ["sales"]}, form_page="/admin/users"
    )
    assert response.status_code == 409
    assert "your own admin role" in response.text


def test_admin_disables_and_enables_accounts(
    client: TestClient, admin: Account, make_account: AccountFactory
) -> None:
    clerk = make_account(Role.sales, email="clerk@firma.test")
    web_login(client, admin.email)
    post_form(
        client, f"/admin/users/{clerk.id}/active", {"active": "false"}, form_page="/admin/users"
    )
    assert client.get("/api/v1/auth/me", headers=clerk.headers).status_code == 401
    post_form(
        client, f"/admin/users/{clerk.id}/active", {"active": "true"}, form_page="/admin/users"
    )
    web_login(client, clerk.email)
    response = post_form(
        client, f"/admin/users/{admin.id}/active", {"active": "false"}, form_page="/"
    )
    assert response.status_code == 403


def test_logout_ends_the_session_server_side(client: TestClient, admin: Account) -> None:
    web_login(client, admin.email)
    stolen_cookie = client.cookies.get("valeo_session")
    response = post_form(client, "/logout", {}, form_page="/")
    assert response.status_code == 303
    client.cookies.set("valeo_session", stolen_cookie or "")
    assert client.get("/", follow_redirects=False).status_code == 303


def test_forms_without_a_valid_csrf_token_are_refused(client: TestClient, admin: Account) -> None:
    csrf_from(client, "/login")
    response = client.post(
        "/login", data={"email": admin.email, "password": PASSWORD, "csrf_token": "forged"}
    )
    assert response.status_code == 403
    other = TestClient(client.app)
    token = csrf_from(other, "/login")  # valid token, but for another browser's cookie
    response = client.post(
        "/login", data={"email": admin.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 403


def test_signed_in_user_visiting_login_is_sent_on(client: TestClient, admin: Account) -> None:
    web_login(client, admin.email)
    assert client.get("/login", follow_redirects=False).status_code == 303
    assert client.get("/register").status_code == 200


def test_tampered_session_cookie_is_ignored(client: TestClient) -> None:
    client.cookies.set("valeo_session", "forged.value.sig")
    assert client.get("/", follow_redirects=False).status_code == 303
