"""FIBU screens: journal, entry detail, Summen- und Saldenliste, periods."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page

Line = tuple[str, str, str]  # Konto, Soll, Haben (as typed)


def id_in_url(page: Page) -> int:
    """The entry id of an entry page's URL (/fibu/journal/17?done=posted)."""
    match = re.search(r"/fibu/journal/([0-9]+)", page.url)
    assert match, page.url
    return int(match.group(1))


class JournalPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.table = page.get_by_test_id("journal-table")
        self.form = page.get_by_test_id("entry-form")
        self.error = self.form.get_by_test_id("form-error")

    def open(self) -> JournalPage:
        self.page.goto("/fibu/journal")
        return self

    def rows(self, text: str) -> Locator:
        return self.table.locator("tbody tr").filter(has_text=text)

    def enter(
        self,
        document: str,
        text: str,
        lines: list[Line],
        *,
        day: str | None = None,
        post: bool = True,
    ) -> None:
        """Fill the new-entry form (dates default to today) and post it or save a draft."""
        if not self.form.is_visible():
            self.page.get_by_test_id("new-entry").click()
        self.form.get_by_label("Belegnummer").fill(document)
        if day is not None:
            self.form.get_by_label("Belegdatum").fill(day)
            self.form.get_by_label("Buchungsdatum").fill(day)
        self.form.get_by_label("Buchungstext").fill(text)
        for row, (account, debit, credit) in enumerate(lines, start=1):
            self.form.get_by_label(f"Konto {row}", exact=True).fill(account)
            self.form.get_by_label(f"Soll {row}", exact=True).fill(debit)
            self.form.get_by_label(f"Haben {row}", exact=True).fill(credit)
        button = "Post" if post else "Save as draft"
        self.form.get_by_role("button", name=button, exact=True).click()


class EntryPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.title = page.get_by_test_id("entry-title")
        self.status = page.get_by_test_id("entry-status")
        self.lines = page.get_by_test_id("entry-lines")
        self.tax_lines = page.get_by_test_id("tax-line")
        self.reverses = page.get_by_test_id("reverses")
        self.reversed_by = page.get_by_test_id("reversed-by")
        self.error = page.get_by_test_id("form-error")

    @property
    def entry_id(self) -> int:
        return id_in_url(self.page)

    def reverse(self, posting_date: str | None = None) -> None:
        self.page.get_by_test_id("reverse-open").click()
        if posting_date:
            self.page.get_by_label("Buchungsdatum of the reversal").fill(posting_date)
        self.page.get_by_test_id("reverse-entry").click()


class TrialBalancePage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.table = page.get_by_test_id("trial-balance")
        self.balanced = page.get_by_test_id("balanced")
        self.not_balanced = page.get_by_test_id("not-balanced")
        self.total_debit = page.get_by_test_id("total-debit")
        self.total_credit = page.get_by_test_id("total-credit")

    def open(self) -> TrialBalancePage:
        self.page.goto("/fibu/trial-balance")
        return self


class PeriodsPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.table = page.get_by_test_id("periods")
        self.notice = page.get_by_test_id("notice")
        self.error = page.get_by_test_id("form-error")

    def open(self, year: int | None = None) -> PeriodsPage:
        self.page.goto("/fibu/periods" + (f"?year={year}" if year else ""))
        return self

    def open_year(self, year: int) -> None:
        form = self.page.get_by_test_id("open-year")
        form.get_by_label("Year", exact=True).fill(str(year))
        form.get_by_role("button", name="Open fiscal year").click()

    def row(self, first_day: str) -> Locator:
        """The row of the period starting on ``first_day`` (YYYY-MM-DD)."""
        return self.page.get_by_test_id(f"period-{first_day[:7]}")

    def close(self, first_day: str) -> None:
        self.row(first_day).get_by_role("button", name="Close").click()
