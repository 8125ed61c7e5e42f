"""Sign-in, registration and the shell every signed-in page shares."""

from __future__ import annotations

from playwright.sync_api import Locator, Page


class Shell:
    """The navigation bar and the sign-out button of every page."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.nav = page.get_by_role("navigation", name="Main")
        self.sign_out_button = page.get_by_test_id("logout")

    def link(self, name: str) -> Locator:
        return self.nav.get_by_role("link", name=name, exact=True)

    def open(self, name: str) -> None:
        self.link(name).click()

    def sign_out(self) -> None:
        self.sign_out_button.click()
        self.page.wait_for_url("**/login")


class LoginPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.email = page.get_by_label("E-mail")
        self.password = page.get_by_label("Password", exact=True)
        self.submit = page.get_by_role("button", name="Sign in")
        self.error = page.get_by_test_id("form-error")

    def open(self) -> LoginPage:
        self.page.goto("/login")
        return self

    def sign_in(self, email: str, password: str) -> None:
        self.email.fill(email)
        self.password.fill(password)
        self.submit.click()


class RegisterPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.email = page.get_by_label("E-mail")
        self.full_name = page.get_by_label("Full name")
        self.password = page.get_by_label("Password (10+ characters, with a digit or symbol)")
        self.confirm = page.get_by_label("Repeat password")
        self.submit = page.get_by_role("button", name="Register")

    def open(self) -> RegisterPage:
        self.page.goto("/register")
        return self

    def register(self, email: str, full_name: str, password: str) -> None:
        self.email.fill(email)
        self.full_name.fill(full_name)
        self.password.fill(password)
        self.confirm.fill(password)
        self.submit.click()


class DashboardPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.heading = page.get_by_role("heading", level=1)
        self.welcome = page.get_by_test_id("welcome")
        self.waiting_for_role = page.get_by_test_id("no-role")
        self.pipeline = page.get_by_test_id("pipeline-summary")
        self.my_activities = page.get_by_test_id("my-activities")


class AdminUsersPage:
    def __init__(self, page: Page) -> None:
        self.page = page

    def open(self) -> AdminUsersPage:
        self.page.goto("/admin/users")
        return self

    def grant(self, email: str, *roles: str) -> None:
        self.page.get_by_role("searchbox", name="Search users").fill(email)
        self.page.get_by_role("button", name="Search").click()
        for role in roles:
            self.page.get_by_label(f"{role} for {email}").check()
        self.page.get_by_role("button", name=f"Save roles of {email}").click()

    @property
    def notice(self) -> Locator:
        return self.page.get_by_test_id("notice")
