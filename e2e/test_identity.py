"""Critical paths: registration and sign-in, roles granted by an admin, sessions ending."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import DEMO_PASSWORD, PASSWORD, Api
from e2e.pages.auth import AdminUsersPage, DashboardPage, LoginPage, RegisterPage, Shell

LOGIN = re.compile(r".*/login(\?.*)?$")


@pytest.mark.critical_path("identity-register-login")
def test_register_sign_out_and_in_again(page: Page, api: Api, unique: str) -> None:
    email = f"nina.{unique}@firma.test"
    RegisterPage(page).open().register(email, "Nina Neu", PASSWORD)
    dashboard = DashboardPage(page)
    expect(dashboard.welcome).to_be_visible()
    expect(dashboard.heading).to_have_text("Good day, Nina Neu")
    expect(dashboard.waiting_for_role).to_be_visible()
    Shell(page).sign_out()

    login = LoginPage(page)
    login.sign_in(email, "not-the-password-1")
    expect(login.error).to_contain_text("wrong")
    expect(login.email).to_have_value(email)
    login.sign_in(email, PASSWORD)
    expect(dashboard.heading).to_have_text("Good day, Nina Neu")

    me = api.get("/auth/me", api.token(email, PASSWORD)).json()
    assert (me["email"], me["roles"]) == (email, [])


@pytest.mark.critical_path("admin-grants-role")
def test_admin_grants_sales_and_the_user_uses_it(
    page: Page, api: Api, unique: str, admin_token: str
) -> None:
    email = f"sven.{unique}@firma.test"
    RegisterPage(page).open().register(email, "Sven Neu", PASSWORD)
    shell = Shell(page)
    expect(shell.link("Customers")).to_have_count(0)
    shell.sign_out()

    LoginPage(page).sign_in("admin@valeo.test", DEMO_PASSWORD)
    admin = AdminUsersPage(page).open()
    admin.grant(email, "sales")
    expect(admin.notice).to_contain_text(f"Saved changes to {email}")
    shell.sign_out()

    LoginPage(page).sign_in(email, PASSWORD)
    expect(shell.link("Customers")).to_be_visible()
    expect(shell.link("Pipeline")).to_be_visible()
    expect(shell.link("Users & roles")).to_have_count(0)
    shell.open("Customers")
    expect(page.get_by_test_id("customer-table")).to_be_visible()

    users = api.get("/users", admin_token, q=email).json()["items"]
    assert [u["roles"] for u in users] == [["sales"]]
    token = api.token(email, PASSWORD)
    assert api.get("/customers", token).status_code == 200


@pytest.mark.critical_path("session-ends-at-logout")
def test_back_button_and_old_links_after_sign_out(page: Page, base_url: str) -> None:
    LoginPage(page).open().sign_in("sales@valeo.test", DEMO_PASSWORD)
    shell = Shell(page)
    shell.open("Customers")
    customers_url = page.url
    expect(page.get_by_test_id("customer-table")).to_be_visible()
    cookie = next(c for c in page.context.cookies() if c["name"] == "valeo_session")
    shell.sign_out()

    page.go_back()
    expect(page).to_have_url(LOGIN)
    expect(page.get_by_test_id("customer-table")).to_have_count(0)
    page.goto(customers_url)
    expect(page).to_have_url(LOGIN)
    # The old cookie, replayed by hand, opens nothing: the server ended the session.
    reply = httpx.get(f"{base_url}/customers", cookies={"valeo_session": cookie["value"]})
    assert reply.status_code == 303
    assert reply.headers["location"].startswith("/login")
