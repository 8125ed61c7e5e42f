"""Pure bookkeeping rules: balance, tax derivation, fiscal years. No database here."""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from erp.errors import DomainError
from erp.money import ZERO, is_cents, round_cents

MIN_LINES = 2


class UnbalancedEntry(DomainError):
    status, title, slug = 422, "Entry does not balance", "unbalanced-entry"


@dataclass(frozen=True)
class Line:
    """One booking line; exactly one of debit and credit is positive."""

    account: int
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    tax_code: str | None = None
    tax_line: bool = False
    reference: str = ""

    @property
    def amount(self) -> Decimal:
        """Signed: debit positive, credit negative."""
        return self.debit - self.credit


@dataclass(frozen=True)
class Rate:
    code: str
    percent: int
    tax_account: int


def line_problem(line: Line) -> str | None:
    if line.debit < 0 or line.credit < 0:
        return "amounts are never negative; book the other side instead"
    if (line.debit == 0) == (line.credit == 0):
        return "each line has a debit or a credit amount, not both and not neither"
    if not (is_cents(line.debit) and is_cents(line.credit)):
        return "amounts are exact to the cent"
    return None


def check_balanced(lines: Sequence[Line]) -> None:
    """Raise UnbalancedEntry unless the lines form a valid double entry."""
    if len(lines) < MIN_LINES:
        raise UnbalancedEntry(f"an entry needs at least {MIN_LINES} lines")
    for position, line in enumerate(lines, start=1):
        problem = line_problem(line)
        if problem:
            raise UnbalancedEntry(f"line {position}: {problem}")
    debit = sum((line.debit for line in lines), ZERO)
    credit = sum((line.credit for line in lines), ZERO)
    if debit != credit:
        raise UnbalancedEntry(f"debits {debit} and credits {credit} differ by {debit - credit}")


def with_tax_lines(lines: Sequence[Line], rates: dict[str, Rate]) -> list[Line]:
    """The lines plus one tax line per tax code: the code's rate on the net sum of its lines,
    rounded once, half-up, to cents, on the side the net lines are on (net after netting)."""
    given = [line for line in lines if not line.tax_line]
    net_by_code: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for line in given:
        if line.tax_code is not None:
            net_by_code[line.tax_code] += line.amount
    result = list(given)
    for code, net in sorted(net_by_code.items()):
        tax = round_cents(abs(net) * rates[code].percent / Decimal(100))
        if tax == 0:
            continue
        debit, credit = (tax, ZERO) if net > 0 else (ZERO, tax)
        result.append(Line(rates[code].tax_account, debit, credit, tax_code=code, tax_line=True))
    return result


def reversed_lines(lines: Iterable[Line]) -> list[Line]:
    """Storno: the same lines with debit and credit swapped."""
    return [replace(line, debit=line.credit, credit=line.debit) for line in lines]


def fiscal_year_of(day: date, start_month: int) -> int:
    """The fiscal year containing ``day``, named by the calendar year it starts in."""
    return day.year if day.month >= start_month else day.year - 1


def fiscal_months(year: int, start_month: int) -> list[tuple[date, date]]:
    """The twelve (first day, last day) months of fiscal year ``year``."""
    months = []
    for index in range(12):
        month0 = start_month - 1 + index
        y, m = year + month0 // 12, month0 % 12 + 1
        months.append((date(y, m, 1), date(y, m, calendar.monthrange(y, m)[1])))
    return months
