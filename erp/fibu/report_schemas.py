"""FIBU report models: what ``erp.fibu.reports`` returns and the API sends as is.

Every amount is ``MoneyTotal`` (a signed string with two decimals): balances may be
negative, and sums or derived tax lines are not bounded by ``Money``'s twelve digits.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import Field

from erp.fibu.models import AccountKind
from erp.schemas import MoneyTotal, ReadModel

AccountNumber = Annotated[int, Field(ge=1, le=99999)]


class PersonalKind(StrEnum):
    """Which personal accounts an open-item list covers."""

    debitor = "debitor"
    kreditor = "kreditor"


class Ageing(StrEnum):
    """How long an item is overdue, in days past its due date."""

    not_due = "not due"
    days_1_30 = "1-30"
    days_31_60 = "31-60"
    days_61_90 = "61-90"
    over_90 = "over 90"


class BalanceRow(ReadModel):
    """One account of the trial balance; balances are debit − credit."""

    number: AccountNumber
    name: str
    kind: AccountKind
    opening: MoneyTotal = Field(description="Balance of every posted line before date_from")
    debit: MoneyTotal = Field(description="Debits posted within the range")
    credit: MoneyTotal = Field(description="Credits posted within the range")
    closing: MoneyTotal = Field(description="opening + debit − credit")


class TrialBalance(ReadModel):
    """Summen- und Saldenliste: the totals' debit equals credit, closing balances sum to 0."""

    date_from: date
    date_to: date
    rows: list[BalanceRow]
    opening: MoneyTotal
    debit: MoneyTotal
    credit: MoneyTotal
    closing: MoneyTotal


class AccountAmount(ReadModel):
    """An account's amount, signed so that the usual side is positive."""

    number: AccountNumber
    name: str
    kind: AccountKind
    amount: MoneyTotal


class ProfitAndLoss(ReadModel):
    """GuV: revenues are credit − debit, expenses debit − credit; result is their difference."""

    date_from: date
    date_to: date
    revenues: list[AccountAmount]
    expenses: list[AccountAmount]
    total_revenue: MoneyTotal
    total_expenses: MoneyTotal
    result: MoneyTotal


class BalanceSheet(ReadModel):
    """Bilanz: total_assets == total_liabilities_and_equity.

    Assets (asset and Debitor accounts) are debit − credit; liabilities (liability and
    Kreditor accounts) and equity are credit − debit. A personal account keeps its side
    whatever the sign of its balance.
    """

    as_of: date
    fiscal_year_start: date
    assets: list[AccountAmount]
    liabilities: list[AccountAmount]
    equity: list[AccountAmount]
    total_assets: MoneyTotal
    total_liabilities: MoneyTotal
    total_equity: MoneyTotal
    prior_years_result: MoneyTotal = Field(
        description="Revenues − expenses before the fiscal year (no closing entries yet)"
    )
    result: MoneyTotal = Field(description="Revenues − expenses of the fiscal year up to as_of")
    total_liabilities_and_equity: MoneyTotal = Field(
        description="total_liabilities + total_equity + prior_years_result + result"
    )


class LedgerLine(ReadModel):
    posting_date: date
    fiscal_year: int
    entry_number: int = Field(ge=1)
    document_number: str
    text: str
    counter_accounts: list[AccountNumber] = Field(
        description="The entry's other accounts, without tax lines"
    )
    debit: MoneyTotal
    credit: MoneyTotal
    balance: MoneyTotal = Field(description="Running balance (debit − credit) after this line")


class Ledger(ReadModel):
    """Kontoblatt: opening + debit − credit == closing."""

    number: AccountNumber
    name: str
    kind: AccountKind
    date_from: date
    date_to: date
    opening: MoneyTotal
    lines: list[LedgerLine] = Field(description="This page of the range's lines, in order")
    line_count: int = Field(ge=0, description="Lines in the whole range")
    offset: int = Field(ge=0, description="Lines of the range before this page")
    debit: MoneyTotal = Field(description="Debits of the whole range")
    credit: MoneyTotal = Field(description="Credits of the whole range")
    closing: MoneyTotal


class OpenItem(ReadModel):
    """What is open on one reference (OP-Nummer); dates are the first entry's."""

    reference: str
    document_date: date
    due_date: date = Field(description="The first entry's due date, else its document date")
    days_overdue: int = Field(ge=0)
    ageing: Ageing
    amount: MoneyTotal = Field(description="Debitor: debit − credit; Kreditor: credit − debit")


class AgeingTotal(ReadModel):
    ageing: Ageing
    amount: MoneyTotal


class OpenAccount(ReadModel):
    number: AccountNumber
    name: str
    customer_number: str | None = Field(description="The customer owning a Debitor account")
    customer_name: str | None
    items: list[OpenItem]
    ageing: list[AgeingTotal] = Field(description="Every bucket, in order; empty ones are 0.00")
    total: MoneyTotal


class OpenItems(ReadModel):
    """OP-Liste: open items per personal account, with ageing buckets."""

    kind: PersonalKind
    as_of: date
    accounts: list[OpenAccount]
    ageing: list[AgeingTotal]
    total: MoneyTotal
