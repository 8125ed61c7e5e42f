"""Critical paths of the bookkeeping: a manual entry and its Storno; a closed period."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import DEMO_PASSWORD, Api
from e2e.pages.auth import LoginPage, Shell
from e2e.pages.fibu import EntryPage, JournalPage, PeriodsPage, TrialBalancePage
from erp.fibu.rules import fiscal_year_of
from erp.timeutil import business_date

ACCOUNTING = "accounting@valeo.test"
SALE = [("1200", "1.190,00", ""), ("8400", "", "1.000,00")]  # Bank an Erlöse 19 % (net)


@pytest.mark.critical_path("fibu-journal")
def test_accountant_posts_and_reverses_an_entry(page: Page, api: Api, unique: str) -> None:
    document = f"E2E-{unique}"
    LoginPage(page).open().sign_in(ACCOUNTING, DEMO_PASSWORD)
    Shell(page).open("Journal")
    JournalPage(page).enter(document, f"Barverkauf {unique}", SALE)

    entry = EntryPage(page)
    expect(entry.status).to_have_text("posted")
    expect(entry.tax_lines).to_have_count(1)
    expect(entry.tax_lines).to_contain_text("1776")
    expect(entry.tax_lines).to_contain_text("190,00 €")
    original = entry.entry_id
    entry.reverse()
    expect(entry.reverses).to_contain_text("Reversal (Storno) of entry")
    storno = entry.entry_id
    assert storno != original
    expect(entry.status).to_have_text("posted")

    journal = JournalPage(page).open()
    expect(journal.rows(document)).to_have_count(2)
    expect(journal.rows(document).filter(has_text="Storno")).to_have_count(1)
    Shell(page).open("Reports")
    report = TrialBalancePage(page)
    expect(report.balanced).to_be_visible()
    expect(report.not_balanced).to_have_count(0)
    expect(report.total_debit).to_have_text(report.total_credit.inner_text())

    token = api.token(ACCOUNTING, DEMO_PASSWORD)
    posted = api.get(f"/journal-entries/{original}", token).json()
    assert (posted["status"], posted["document_number"]) == ("posted", document)
    assert posted["reversed_by_id"] == storno
    lines = {(li["account_number"], li["debit"], li["credit"]) for li in posted["lines"]}
    assert lines == {(1200, "1190.00", "0.00"), (8400, "0.00", "1000.00"), (1776, "0.00", "190.00")}
    reversal = api.get(f"/journal-entries/{storno}", token).json()
    assert (reversal["status"], reversal["reverses_id"]) == ("posted", original)
    totals = api.get("/reports/trial-balance", token).json()
    assert totals["debit"] == totals["credit"]
    assert Decimal(totals["closing"]) == 0


@pytest.mark.critical_path("fibu-closed-period")
def test_posting_into_a_closed_period_is_refused(page: Page, api: Api, unique: str) -> None:
    token = api.token(ACCOUNTING, DEMO_PASSWORD)
    start_month = api.get("/company", token).json()["fiscal_year_start_month"]
    last_year = fiscal_year_of(business_date(), start_month) - 1  # the demo data is not there
    LoginPage(page).open().sign_in(ACCOUNTING, DEMO_PASSWORD)
    periods = PeriodsPage(page).open()
    periods.open_year(last_year)
    expect(periods.notice).to_have_text("The fiscal year is open.")
    expect(periods.table.locator("tbody tr")).to_have_count(12)

    # The first period still open: a rerun on the same server closes the next one.
    listed = api.get("/periods", token, fiscal_year=last_year).json()
    period = next(p for p in listed if not p["closed"])
    periods.close(period["first_day"])
    expect(periods.notice).to_have_text("The period is closed.")
    expect(periods.row(period["first_day"])).to_contain_text("closed")
    expect(periods.row(period["first_day"]).get_by_role("button", name="Close")).to_have_count(0)

    day = period["first_day"][:8] + "15"
    journal = JournalPage(page).open()
    with page.expect_response(
        lambda r: r.url.endswith("/fibu/journal") and r.request.method == "POST"
    ) as answer:
        journal.enter(f"CP-{unique}", f"Zu spät {unique}", SALE, day=day)
    assert answer.value.status == 409
    expect(journal.error).to_contain_text(f"the period {period['first_day'][:7]} is closed")
    expect(journal.form.get_by_label("Belegnummer")).to_have_value(f"CP-{unique}")

    [closed] = [
        p
        for p in api.get("/periods", token, fiscal_year=last_year).json()
        if p["id"] == period["id"]
    ]
    assert closed["closed"] is True
    dated_in_it = api.get(
        "/journal-entries", token, date_from=period["first_day"], date_to=period["last_day"]
    ).json()
    assert dated_in_it["total"] == 0
