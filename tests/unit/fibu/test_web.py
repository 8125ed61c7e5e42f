"""FIBU pages through the in-process app: journal, entry, periods, reports, UStVA, DATEV."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from erp.auth.models import Role
from tests.conftest import Account, AccountFactory
from tests.web_helpers import csrf_from, post_form, web_login

DAY = "2026-03-10"
MARCH = {"date_from": "2026-03-01", "date_to": "2026-03-31"}
PAGES = [
    "/fibu/journal",
    "/fibu/trial-balance",
    "/fibu/accounts/1200/ledger",
    "/fibu/open-items",
    "/fibu/open-items?kind=kreditor",
    "/fibu/ustva",
    "/fibu/datev",
    "/fibu/periods",
]


@pytest.fixture
def bookkeeper(client: TestClient, make_account: AccountFactory) -> Account:
    account = make_account(Role.accounting, email="berta@firma.test")
    web_login(client, account.email)
    return account


def entry_form(*lines: tuple[str, str, str], **header: str) -> dict[str, str]:
    """The journal form: header fields and rows of (Konto, Soll, Haben)."""
    data = {
        "document_number": "RE-100",
        "document_date": DAY,
        "posting_date": DAY,
        "service_date": "",
        "due_date": "",
        "text": "Beratung",
        "action": "post",
        **header,
    }
    for row, (account, debit, credit) in enumerate(lines, start=1):
        data |= {f"account_{row}": account, f"debit_{row}": debit, f"credit_{row}": credit}
    return data


SALE = (("1200", "1.190,00", ""), ("8400", "", "1000"))


def submit_entry(client: TestClient, *lines: tuple[str, str, str], **header: str) -> Any:
    return post_form(
        client, "/fibu/journal", entry_form(*lines, **header), form_page="/fibu/journal"
    )


def entry_id(location: str) -> int:
    match = re.fullmatch(r"/fibu/journal/([0-9]+)\?done=[a-z]+", location)
    assert match, location
    return int(match.group(1))


def api_entry(client: TestClient, account: Account, entry: int) -> dict[str, Any]:
    reply = client.get(f"/api/v1/journal-entries/{entry}", headers=account.headers)
    assert reply.status_code == 200, reply.text
    result: dict[str, Any] = reply.json()
    return result


def api_total(client: TestClient, account: Account) -> int:
    reply = client.get("/api/v1/journal-entries", headers=account.headers)
    total: int = reply.json()["total"]
    return total


# Access --------------------------------------------------------------------------------
def test_every_page_renders_for_an_accountant(client: TestClient, bookkeeper: Account) -> None:
    for path in PAGES:
        page = client.get(path)
        assert page.status_code == 200, (path, page.text)
        assert page.headers["cache-control"] == "no-store"
        assert 'aria-label="FIBU"' in page.text
    dashboard = client.get("/").text
    assert 'href="/fibu/journal"' in dashboard
    assert 'href="/fibu/trial-balance"' in dashboard


@pytest.mark.parametrize("role", [Role.sales, Role.warehouse])
def test_other_roles_get_the_forbidden_page(
    client: TestClient, make_account: AccountFactory, role: Role
) -> None:
    web_login(client, make_account(role).email)
    for path in [*PAGES, "/fibu/datev/export?date_from=2026-03-01&date_to=2026-03-31"]:
        page = client.get(path)
        assert page.status_code == 403, path
        assert 'data-testid="error"' in page.text
    assert 'href="/fibu/journal"' not in client.get("/").text
    token = csrf_from(client, "/")
    refused = client.post("/fibu/journal", data={"csrf_token": token}, follow_redirects=False)
    assert refused.status_code == 403


def test_admin_uses_the_pages_too(client: TestClient, admin: Account) -> None:
    web_login(client, admin.email)
    assert client.get("/fibu/journal").status_code == 200
    assert submit_entry(client, *SALE).status_code == 303


def test_anonymous_visitor_is_sent_to_sign_in(client: TestClient) -> None:
    page = client.get("/fibu/trial-balance", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=/fibu/trial-balance"


def test_forms_without_the_csrf_token_are_refused(client: TestClient, bookkeeper: Account) -> None:
    response = client.post("/fibu/journal", data=entry_form(*SALE), follow_redirects=False)
    assert response.status_code == 403
    assert api_total(client, bookkeeper) == 0


# The journal ---------------------------------------------------------------------------
def test_posting_adds_the_tax_line_and_numbers_the_entry(
    client: TestClient, bookkeeper: Account
) -> None:
    response = submit_entry(client, *SALE, due_date="24.03.2026")
    assert response.status_code == 303, response.text
    entry = entry_id(response.headers["location"])
    page = client.get(response.headers["location"])
    assert 'data-testid="entry-title">Entry 2026/1<' in page.text
    assert "Posted." in page.text
    tax_line = page.text.split('data-testid="tax-line"')[1].split("</tr>")[0]
    assert "1776" in tax_line
    assert "190,00 €" in tax_line
    assert "1.190,00 €" in page.text
    stored = api_entry(client, bookkeeper, entry)
    assert (stored["status"], stored["number"], stored["due_date"]) == ("posted", 1, "2026-03-24")
    lines = [(li["account_number"], li["debit"], li["credit"]) for li in stored["lines"]]
    assert lines == [
        (1200, "1190.00", "0.00"),
        (8400, "0.00", "1000.00"),
        (1776, "0.00", "190.00"),
    ]
    journal = client.get("/fibu/journal").text
    assert "2026/1" in journal
    assert "RE-100" in journal


def test_draft_is_posted_or_deleted_on_its_page(client: TestClient, bookkeeper: Account) -> None:
    response = submit_entry(client, *SALE, action="draft")
    assert response.headers["location"].endswith("?done=saved")
    entry = entry_id(response.headers["location"])
    url = f"/fibu/journal/{entry}"
    page = client.get(url).text
    assert f"Draft entry {entry}" in page
    assert 'data-testid="post-entry"' in page
    assert 'data-testid="reverse-open"' not in page
    posted = post_form(client, f"{url}/post", {}, form_page=url)
    assert posted.status_code == 303
    assert api_entry(client, bookkeeper, entry)["number"] == 1
    again = post_form(client, f"{url}/post", {}, form_page=url)
    assert again.status_code == 409
    assert "posted already" in again.text
    refused = post_form(client, f"{url}/delete", {}, form_page=url)
    assert refused.status_code == 409
    assert "never deleted" in refused.text

    second = entry_id(submit_entry(client, *SALE, action="draft").headers["location"])
    deleted = post_form(
        client, f"/fibu/journal/{second}/delete", {}, form_page=f"/fibu/journal/{second}"
    )
    assert deleted.headers["location"] == "/fibu/journal?done=deleted"
    assert "The draft was deleted." in client.get(deleted.headers["location"]).text
    assert client.get(f"/fibu/journal/{second}").status_code == 404


def test_reversal_links_both_entries(client: TestClient, bookkeeper: Account) -> None:
    original = entry_id(submit_entry(client, *SALE).headers["location"])
    url = f"/fibu/journal/{original}"
    reversed_ = post_form(client, f"{url}/reverse", {"posting_date": "2026-03-12"}, form_page=url)
    assert reversed_.status_code == 303, reversed_.text
    storno = entry_id(reversed_.headers["location"])
    page = client.get(reversed_.headers["location"]).text
    assert "Reversal (Storno) of entry" in page
    assert f'href="/fibu/journal/{original}">2026/1<' in page
    assert 'data-testid="reverse-open"' not in page  # a reversal is not reversed again
    original_page = client.get(url).text
    assert f'href="/fibu/journal/{storno}">2026/2<' in original_page
    assert 'data-testid="reverse-open"' not in original_page
    assert api_entry(client, bookkeeper, original)["reversed_by_id"] == storno
    twice = post_form(client, f"{url}/reverse", {}, form_page=url)
    assert twice.status_code == 409
    assert "reversed already" in twice.text
    bad_date = post_form(
        client, f"/fibu/journal/{storno}/reverse", {"posting_date": "soon"}, form_page=url
    )
    assert bad_date.status_code == 422


def test_domain_errors_are_shown_next_to_the_form(client: TestClient, bookkeeper: Account) -> None:
    unbalanced = submit_entry(client, ("1200", "1000", ""), ("8400", "", "1000"))
    assert unbalanced.status_code == 422
    assert 'data-testid="form-error"' in unbalanced.text
    assert "differ by" in unbalanced.text
    assert 'value="RE-100"' in unbalanced.text  # what was typed stays
    assert "<details open>" in unbalanced.text
    unknown = submit_entry(client, ("1200", "10", ""), ("4711", "", "10"))
    assert unknown.status_code == 422
    assert "account 4711 does not exist" in unknown.text
    assert api_total(client, bookkeeper) == 0


def test_field_and_row_errors(client: TestClient, bookkeeper: Account) -> None:
    response = submit_entry(
        client,
        ("1200", "10", "10"),
        ("", "", ""),
        ("Bank", "", "10"),
        ("8400", "-5", ""),
        ("8400", "", "1e50"),
        document_number="RE 100",
        posting_date="",
        text="",
    )
    assert response.status_code == 422
    for testid in (
        "document_number",
        "posting_date",
        "text",
        "line_1",
        "line_3",
        "line_4",
        "line_5",
    ):
        assert f'data-testid="{testid}-error"' in response.text, testid
    assert 'data-testid="line_2-error"' not in response.text  # an empty row is ignored
    assert "not both" in response.text
    assert 'value="Bank"' in response.text
    one_line = submit_entry(client, ("1200", "10", ""))
    assert 'data-testid="lines-error"' in one_line.text
    assert api_total(client, bookkeeper) == 0


def test_posting_into_a_closed_period_is_refused(client: TestClient, bookkeeper: Account) -> None:
    opened = post_form(client, "/fibu/fiscal-years", {"year": "2025"}, form_page="/fibu/periods")
    assert opened.headers["location"] == "/fibu/periods?year=2025&done=opened"
    page = client.get(opened.headers["location"]).text
    assert page.count('aria-label="Close ') == 12
    march = re.search(r'action="(/fibu/periods/[0-9]+/close)"', page.split("period-2025-03")[1])
    assert march
    closed = post_form(client, march.group(1), {}, form_page="/fibu/periods?year=2025")
    assert closed.headers["location"] == "/fibu/periods?year=2025&done=closed"
    page = client.get(closed.headers["location"]).text
    assert "The period is closed." in page
    assert page.count('aria-label="Close ') == 11
    again = post_form(client, march.group(1), {}, form_page="/fibu/periods")
    assert again.status_code == 409
    assert "closed already" in again.text
    refused = submit_entry(client, *SALE, document_date="2025-03-15", posting_date="2025-03-15")
    assert refused.status_code == 409
    assert "the period 2025-03 is closed" in refused.text
    assert api_total(client, bookkeeper) == 0


def test_periods_page_opens_years_and_checks_the_year(
    client: TestClient, bookkeeper: Account
) -> None:
    assert 'data-testid="year-not-open"' in client.get("/fibu/periods?year=2031").text
    bad = post_form(client, "/fibu/fiscal-years", {"year": "1999"}, form_page="/fibu/periods")
    assert bad.status_code == 422
    assert 'data-testid="year-error"' in bad.text
    submit_entry(client, *SALE, action="draft")
    page = client.get("/fibu/periods?year=2026").text
    march = re.search(r'action="(/fibu/periods/[0-9]+/close)"', page.split("period-2026-03")[1])
    assert march
    busy = post_form(client, march.group(1), {}, form_page="/fibu/periods")
    assert busy.status_code == 409
    assert "draft entries are dated in this period" in busy.text


def test_journal_filters_and_paging(client: TestClient, bookkeeper: Account) -> None:
    for number in range(22):
        submit_entry(client, *SALE, document_number=f"RE-{number}", action="post")
    submit_entry(client, *SALE, document_number="RE-APRIL", posting_date="2026-04-02")
    submit_entry(client, *SALE, document_number="RE-DRAFT", action="draft")
    first = client.get("/fibu/journal").text
    assert "24 entries" in first
    assert first.index("RE-APRIL") < first.index("RE-DRAFT")  # newest posting date first
    assert "offset=20" in first
    assert "RE-0<" in client.get("/fibu/journal?offset=20").text
    drafts = client.get("/fibu/journal?status=draft&date_from=&date_to=").text
    assert "1 entry" in drafts
    assert "RE-DRAFT" in drafts
    april = client.get("/fibu/journal?date_from=2026-04-01&date_to=30.04.2026").text
    assert "1 entry" in april
    wrong = client.get("/fibu/journal?date_from=gestern")
    assert wrong.status_code == 422
    assert 'data-testid="date_from-error"' in wrong.text


# Reports -------------------------------------------------------------------------------
def test_trial_balance_is_balanced_and_links_the_ledger(
    client: TestClient, bookkeeper: Account
) -> None:
    submit_entry(client, *SALE)
    submit_entry(client, ("4210", "500", ""), ("1200", "", "500"), document_number="MI-1")
    page = client.get("/fibu/trial-balance", params=MARCH).text
    assert 'data-testid="balanced"' in page
    assert 'data-testid="total-debit">1.690,00 €<' in page
    assert 'data-testid="total-credit">1.690,00 €<' in page
    link = "/fibu/accounts/1200/ledger?date_from=2026-03-01&date_to=2026-03-31"
    assert link in page
    assert "690,00 € S" in page  # Bank: 1190 − 500
    ledger = client.get(link).text
    assert "Kontoblatt 1200 · Bank" in ledger
    assert 'data-testid="closing-balance">690,00 € S<' in ledger
    assert "1.190,00 € S" in ledger  # the running balance after the first line
    assert 'href="/fibu/accounts/4210/ledger' in ledger  # the counter account
    before = client.get("/fibu/trial-balance", params={"date_to": "2026-02-28"}).text
    assert "No posted entries up to 2026-02-28" in before
    wrong = client.get("/fibu/trial-balance", params={"date_from": "2026-04-01", "date_to": DAY})
    assert wrong.status_code == 422
    assert "starts after it ends" in wrong.text
    assert client.get("/fibu/accounts/4711/ledger").status_code == 404
    assert client.get("/fibu/accounts/1200/ledger?date_to=x").status_code == 422


def test_open_items_per_kind_with_ageing(client: TestClient, bookkeeper: Account) -> None:
    supplier = {"number": 70001, "name": "Großhandel Nord GmbH", "kind": "kreditor"}
    client.post("/api/v1/accounts", json=supplier, headers=bookkeeper.headers)
    submit_entry(
        client,
        ("3400", "4000", ""),
        ("70001", "", "4.760,00"),
        document_number="ER-1",
        due_date="2026-03-20",
    )
    kreditoren = client.get("/fibu/open-items?kind=kreditor&as_of=2026-04-10").text
    assert "Großhandel Nord GmbH" in kreditoren
    assert 'data-testid="bucket-1-30">4.760,00 €<' in kreditoren
    assert 'data-testid="open-total">4.760,00 €<' in kreditoren
    debitoren = client.get("/fibu/open-items?kind=debitor&as_of=2026-04-10").text
    assert 'data-testid="no-open-items"' in debitoren
    assert client.get("/fibu/open-items?as_of=10.04").status_code == 422


def test_ustva_shows_the_kennzahlen(client: TestClient, bookkeeper: Account) -> None:
    submit_entry(client, ("1200", "119,99", ""), ("8400", "", "100,83"))
    page = client.get("/fibu/ustva?year=2026&period=03").text
    assert "März 2026" in page
    kz81 = page.split('data-testid="kz81"')[1].split("</tr>")[0]
    assert "100 €" in kz81
    assert "19,00 €" in kz81
    rate = page.split('data-testid="rate-19"')[1].split("</tr>")[0]
    assert "100,83 €" in rate  # as booked
    assert "19,16 €" in rate  # booked tax
    assert "0,16 €" in rate  # rounding difference
    quarter = client.get("/fibu/ustva?year=2026&period=q1")
    assert quarter.status_code == 200
    assert "1. Quartal 2026" in quarter.text
    assert client.get("/fibu/ustva?year=2026&period=13").status_code == 422
    assert client.get("/fibu/ustva?year=1999&period=01").status_code == 422
    assert client.get("/fibu/ustva?year=zwei&period=01").status_code == 422


def test_datev_download_and_refused_ranges(client: TestClient, bookkeeper: Account) -> None:
    submit_entry(client, *SALE)
    export = client.get("/fibu/datev/export", params=MARCH)
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    assert export.headers["content-disposition"] == (
        'attachment; filename="EXTF_Buchungsstapel_20260301_20260331.csv"'
    )
    assert export.content.startswith(b'"EXTF";700;21;"Buchungsstapel"')
    assert b"1190,00" in export.content
    two_years = client.get(
        "/fibu/datev/export", params={"date_from": "2025-12-01", "date_to": "2026-01-31"}
    )
    assert two_years.status_code == 422
    assert "one fiscal year and one calendar year" in two_years.text
    missing = client.get("/fibu/datev/export", params={"date_from": "2026-03-01"})
    assert missing.status_code == 422
    assert 'data-testid="date_to-error"' in missing.text


def test_an_amount_too_long_to_be_money_is_left_for_the_schema_to_refuse() -> None:
    from erp.web.forms import money_input

    for raw in ("1e50", "1" * 32, "abc"):
        assert money_input(raw) == raw
    assert money_input("1.200,50") == "1200.50"
