"""UStVA (Umsatzsteuer-Voranmeldung) of a month or a quarter, under Sollversteuerung.

Posted entries count by their Leistungsdatum (``service_date``), not by their posting date.

- Kz 81 / Kz 86: the net base of revenue at 19 % / 7 %: credit − debit of the non-tax lines
  carrying an output tax code of that rate. The form takes WHOLE EUROS: the cents are
  dropped (truncated toward zero, ``ROUND_DOWN``), in the taxpayer's favour for the usual
  positive base. A negative base (more credit notes than sales) is truncated toward zero
  too, −100.99 becomes −100: one rule for both signs, never a made-up euro.
- The tax on Kz 81 / 86 is derived from the whole-euro base (× 19 % / 7 %, half-up to
  cents), as the form computes it. The tax BOOKED on 1776 / 1771 is shown next to it with
  the rounding difference (booked − derived): the journal rounds once per entry and rate
  and keeps the cents of the base, so the two differ by a few cents.
- Kz 66: deductible Vorsteuer = debit − credit of the tax lines with an input tax code.
  Amounts booked by hand on 1576 / 1571 without a tax code are not tax lines and not counted.
- Kz 83: remaining advance payment = derived output tax − Kz 66 (negative: a refund).

Only the rates 19 % (Kz 81) and 7 % (Kz 86) are mapped; output codes at other rates (none
in the seeded chart) would belong in Kz 35/36 and are not reported here.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from erp.errors import DomainError
from erp.fibu.models import EntryStatus, JournalEntry, JournalLine, TaxCode, TaxDirection
from erp.money import ZERO, round_cents

MIN_YEAR, MAX_YEAR = 2000, 2099
OUTPUT_KZ = {19: "81", 7: "86"}  # rate → Kennzahl of the net base


class InvalidTaxPeriod(DomainError):
    status, title, slug = 422, "Invalid tax period", "invalid-tax-period"


@dataclass(frozen=True)
class TaxPeriod:
    """A UStVA period: a month or a quarter of a calendar year."""

    year: int
    month: int | None
    quarter: int | None
    first_day: date
    last_day: date


def tax_period(year: int, *, month: int | None = None, quarter: int | None = None) -> TaxPeriod:
    """The period of ``year`` and exactly one of ``month`` (1–12) and ``quarter`` (1–4)."""
    if (month is None) == (quarter is None):
        raise InvalidTaxPeriod("give exactly one of month and quarter")
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidTaxPeriod(f"the year must lie between {MIN_YEAR} and {MAX_YEAR}")
    if month is not None and not 1 <= month <= 12:
        raise InvalidTaxPeriod("the month must lie between 1 and 12")
    if quarter is not None and not 1 <= quarter <= 4:
        raise InvalidTaxPeriod("the quarter must lie between 1 and 4")
    if month is not None:
        first_month = last_month = month
    else:
        assert quarter is not None
        first_month, last_month = 3 * quarter - 2, 3 * quarter
    last = date(year, last_month, calendar.monthrange(year, last_month)[1])
    return TaxPeriod(year, month, quarter, date(year, first_month, 1), last)


def whole_euros(amount: Decimal) -> int:
    """The whole-euro amount the form takes: cents dropped, truncated toward zero."""
    return int(amount.to_integral_value(rounding=ROUND_DOWN))


@dataclass(frozen=True)
class OutputTax:
    """One rate of output tax: Kz 81 (19 %) or Kz 86 (7 %)."""

    kz: str
    rate: int
    base_exact: Decimal  # net base in cents, as booked
    base: int  # whole euros: the Kennzahl
    derived_tax: Decimal  # base × rate, half-up to cents: what the form declares
    booked_tax: Decimal  # on the tax accounts (1776 / 1771)

    @property
    def rounding_difference(self) -> Decimal:
        return self.booked_tax - self.derived_tax


@dataclass(frozen=True)
class UStVA:
    period: TaxPeriod
    output: list[OutputTax]  # Kz 81, then Kz 86
    kz66: Decimal

    def _rate(self, kz: str) -> OutputTax:
        return next(o for o in self.output if o.kz == kz)

    @property
    def kz81(self) -> int:
        return self._rate("81").base

    @property
    def kz81_tax(self) -> Decimal:
        return self._rate("81").derived_tax

    @property
    def kz86(self) -> int:
        return self._rate("86").base

    @property
    def kz86_tax(self) -> Decimal:
        return self._rate("86").derived_tax

    @property
    def kz83(self) -> Decimal:
        return sum((o.derived_tax for o in self.output), ZERO) - self.kz66


def _credit_balances(session: Session, period: TaxPeriod) -> dict[tuple[str, bool], Decimal]:
    """credit − debit per (tax code, tax line?) of the posted lines in the period."""
    stmt = (
        select(
            JournalLine.tax_code,
            JournalLine.tax_line,
            func.sum(JournalLine.debit),
            func.sum(JournalLine.credit),
        )
        .join(JournalEntry, JournalLine.entry_id == JournalEntry.id)
        .where(
            JournalEntry.status == EntryStatus.posted,
            JournalEntry.service_date.between(period.first_day, period.last_day),
            JournalLine.tax_code.is_not(None),
        )
        .group_by(JournalLine.tax_code, JournalLine.tax_line)
    )
    return {
        (str(code), tax_line): (credit or ZERO) - (debit or ZERO)
        for code, tax_line, debit, credit in session.execute(stmt)
    }


def ustva(session: Session, period: TaxPeriod) -> UStVA:
    """The UStVA figures of ``period`` from the posted journal."""
    balances = _credit_balances(session, period)
    base: dict[int, Decimal] = defaultdict(lambda: ZERO)
    booked: dict[int, Decimal] = defaultdict(lambda: ZERO)
    input_tax = ZERO
    for code in session.scalars(select(TaxCode)):
        if code.direction is TaxDirection.input:
            input_tax -= balances.get((code.code, True), ZERO)
        elif code.rate in OUTPUT_KZ:
            base[code.rate] += balances.get((code.code, False), ZERO)
            booked[code.rate] += balances.get((code.code, True), ZERO)
    output = []
    for rate, kz in OUTPUT_KZ.items():
        euros = whole_euros(base[rate])
        derived = round_cents(Decimal(euros) * rate / Decimal(100))
        output.append(OutputTax(kz, rate, base[rate], euros, derived, booked[rate]))
    return UStVA(period=period, output=output, kz66=input_tax)
