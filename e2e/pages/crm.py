"""CRM screens: customer list, customer form, customer detail, pipeline board."""

from __future__ import annotations

from typing import ClassVar

from playwright.sync_api import Locator, Page


class CustomersPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.table = page.get_by_test_id("customer-table")

    def open(self) -> CustomersPage:
        self.page.goto("/customers")
        return self

    def search(self, text: str) -> None:
        self.page.get_by_role("searchbox", name="Search customers").fill(text)
        self.page.get_by_role("button", name="Search").click()

    def new_customer(self) -> CustomerFormPage:
        self.page.get_by_test_id("new-customer").click()
        return CustomerFormPage(self.page)


class CustomerFormPage:
    LABELS: ClassVar[dict[str, str]] = {
        "name": "Name",
        "city": "City",
        "postal_code": "Postal code",
        "vat_id": "VAT id (USt-IdNr.)",
        "email": "E-mail",
        "credit_limit": "Credit limit (EUR)",
        "payment_terms_days": "Payment terms (days)",
    }

    def __init__(self, page: Page) -> None:
        self.page = page

    def field(self, name: str) -> Locator:
        return self.page.get_by_label(self.LABELS[name], exact=True)

    def fill(self, **values: str) -> None:
        for name, value in values.items():
            self.field(name).fill(value)

    def save(self) -> None:
        self.page.get_by_role("button", name="Save customer").click()

    def error(self, name: str) -> Locator:
        return self.page.get_by_test_id(f"{name}-error")


class CustomerDetailPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.name = page.get_by_test_id("customer-name")
        self.opportunities = page.get_by_test_id("opportunities")
        self.activities = page.get_by_test_id("activities")

    def _form(self, action_suffix: str) -> Locator:
        return self.page.locator(f"form[action$='{action_suffix}']")

    def add_contact(self, name: str, role: str) -> None:
        self.page.get_by_text("New contact…").click()
        form = self._form("/contacts")
        form.get_by_label("Name").fill(name)
        form.get_by_label("Role").fill(role)
        form.get_by_role("button", name="Add contact").click()

    def add_opportunity(self, title: str, revenue: str) -> None:
        self.page.get_by_text("New opportunity…").click()
        form = self._form("/opportunities")
        form.get_by_label("Title").fill(title)
        form.get_by_label("Expected revenue (EUR)").fill(revenue)
        form.get_by_role("button", name="Add opportunity").click()

    def move(self, title: str, stage: str, reason: str | None = None) -> None:
        row = self.opportunities.get_by_role("row").filter(has_text=title)
        row.get_by_label(f"New stage for {title}").select_option(stage)
        if reason:
            row.get_by_label(f"Lost reason for {title}").fill(reason)
        row.get_by_role("button", name="Move").click()

    def log_activity(self, kind: str, subject: str, due: str) -> None:
        self.page.get_by_text("New activity…").click()
        form = self._form("/activities")
        form.get_by_label("Kind").select_option(kind)
        form.get_by_label("Subject").fill(subject)
        form.get_by_label("Due date").fill(due)
        form.get_by_role("button", name="Log activity").click()
