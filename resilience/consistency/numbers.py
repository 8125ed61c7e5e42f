"""``document_numbers``: every series (journal entries per fiscal year; sales orders,
deliveries, invoices and their corrections, incoming payments, purchase orders, goods
receipts, incoming invoices and outgoing payments per calendar year) runs 1..n without gaps
or duplicates, and its number range's counter stands at n (a drawn number that was never
used is a gap); customer, Debitor and Kreditor numbers are never behind their counter.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, func, select

from erp.crm.models import Customer
from erp.fibu.journal import JOURNAL_NUMBERS, JOURNAL_RANGE
from erp.fibu.models import JournalEntry
from erp.purchasing.models import (
    GoodsReceipt,
    IncomingInvoice,
    PurchaseOrder,
    Supplier,
    SupplierPayment,
)
from erp.sales.models import CustomerPayment, Delivery, OutgoingInvoice, SalesOrder
from erp.sequences import DOCUMENT_NUMBERS, NumberRange
from resilience.consistency.snapshot import POSTED, Findings

# Missing numbers named per series in one message; a series spanning more numbers than
# MAX_SPAN (a wild number) is not searched for each missing one.
MAX_NAMED, MAX_SPAN = 10, 1_000_000
# Ranges drawn by erp.sequences.next_number for master data (never behind the highest issued;
# gaps are allowed: customers are deleted, Kreditor numbers skip accounts opened by hand).
CUSTOMER_RANGE, DEBITOR_RANGE, KREDITOR_RANGE = "customer", "debitor", "kreditor"
CUSTOMER_NUMBER_PATTERN = "K_____"  # erp.crm.service: K + 10001..99999


@dataclass(frozen=True)
class _Series:
    """A gapless series: documents of one kind with numbers ``{prefix}{year}-{n:05d}``."""

    prefix: str
    kind: str  # "sales orders"
    numbers: Select[Any]  # one column: the issued numbers

    def parse(self, number: str | None) -> tuple[str, int] | None:
        """(year, n) of a well-formed number of this series."""
        match = re.fullmatch(rf"{re.escape(self.prefix)}(\d{{4}})-(\d{{5}})", number or "")
        return None if match is None else (match[1], int(match[2]))


@dataclass(frozen=True)
class _Group:
    """The numbers of one series and year, as the database aggregates them."""

    kind: str
    range_name: str  # the number range (erp.sequences) that draws them
    first: int
    issued: int
    distinct: int
    lowest: int | None  # None: a number of the group is malformed
    highest: int | None
    show: Callable[[int], str]
    present: Callable[[], Sequence[int]]  # every number issued, read only when one is missing


DOCUMENT_SERIES = (
    _Series("AU", "sales orders", select(SalesOrder.number).where(SalesOrder.number.is_not(None))),
    _Series("LS", "deliveries", select(Delivery.number)),
    _Series("RE", "outgoing invoices and corrections", select(OutgoingInvoice.number)),
    _Series("ZE", "incoming payments", select(CustomerPayment.number)),
    _Series(
        "B",
        "purchase orders",
        select(PurchaseOrder.number).where(PurchaseOrder.number.is_not(None)),
    ),
    _Series("WE", "goods receipts", select(GoodsReceipt.number)),
    _Series("ER", "incoming invoices", select(IncomingInvoice.number)),
    # An outgoing payment's number is the document number of its journal entry.
    _Series(
        "ZA",
        "outgoing payments",
        select(JournalEntry.document_number).join(
            SupplierPayment, SupplierPayment.journal_entry_id == JournalEntry.id
        ),
    ),
)


def _document_groups(connection: Connection, series: _Series) -> list[_Group]:
    numbers = series.numbers.subquery()
    number = numbers.c[0]
    key = func.substr(number, 1, len(series.prefix) + 4)  # "AU2026"
    aggregated = (
        select(key, func.count(), func.count(number.distinct()), func.min(number), func.max(number))
        .group_by(key)
        .order_by(key)
    )
    groups = []
    for prefix_year, issued, distinct, lowest, highest in connection.execute(aggregated):
        low, high = series.parse(lowest), series.parse(highest)
        year = str(prefix_year)[len(series.prefix) :]
        if low is None or high is None or low[0] != year or high[0] != year:
            low = high = None  # a malformed number in the group

        def present(prefix_year: str = prefix_year) -> list[int]:
            rows = connection.scalars(select(number).where(key == prefix_year))
            return sorted(parsed[1] for parsed in map(series.parse, rows) if parsed)

        def show(n: int, year: str = year) -> str:
            return f"{series.prefix}{year}-{n:05d}"

        groups.append(
            _Group(
                kind=f"{series.kind} {year}",
                range_name=f"{series.prefix}-{year}",
                first=DOCUMENT_NUMBERS[0],
                issued=int(issued),
                distinct=int(distinct),
                lowest=None if low is None else low[1],
                highest=None if high is None else high[1],
                show=show,
                present=present,
            )
        )
    return groups


def _journal_groups(connection: Connection) -> list[_Group]:
    aggregated = (
        select(
            JournalEntry.fiscal_year,
            func.count(),
            func.count(JournalEntry.number.distinct()),
            func.min(JournalEntry.number),
            func.max(JournalEntry.number),
        )
        .where(POSTED)
        .group_by(JournalEntry.fiscal_year)
        .order_by(JournalEntry.fiscal_year)
    )
    groups = []
    for year, issued, distinct, lowest, highest in connection.execute(aggregated):

        def present(year: int = year) -> list[int]:
            numbers = select(JournalEntry.number).where(POSTED, JournalEntry.fiscal_year == year)
            return sorted(n for n in connection.scalars(numbers) if n is not None)

        def show(n: int, year: int = year) -> str:
            return f"{year}/{n}"

        groups.append(
            _Group(
                kind=f"journal entries of fiscal year {year}",
                range_name=f"{JOURNAL_RANGE}-{year}",
                first=JOURNAL_NUMBERS[0],
                issued=int(issued),
                distinct=int(distinct),
                lowest=lowest,
                highest=highest,
                show=show,
                present=present,
            )
        )
    return groups


def _named(numbers: Sequence[int], show: Callable[[int], str]) -> str:
    named = ", ".join(show(n) for n in numbers[:MAX_NAMED])
    return named + (f" and {len(numbers) - MAX_NAMED} more" if len(numbers) > MAX_NAMED else "")


def _gapless(group: _Group, counters: dict[str, int], found: Findings) -> None:
    """1..n without gaps or duplicates, and the range's counter standing at n."""
    if group.lowest is None or group.highest is None:
        found.add(f"{group.kind}: malformed numbers among the {group.issued} issued")
        return
    if group.issued != group.distinct:
        found.add(f"{group.kind}: {group.issued - group.distinct} number(s) issued twice")
    span = group.highest - group.first + 1
    if group.lowest != group.first or span != group.distinct:
        if span <= MAX_SPAN:
            present = set(group.present())
            missing = [n for n in range(group.first, group.highest + 1) if n not in present]
            named = _named(missing, group.show)
        else:  # a wild number: not every one of the numbers below it is named
            named = f"{span - group.distinct} numbers"
        found.add(
            f"{group.kind}: {named} missing "
            f"({group.distinct} issued, the highest {group.show(group.highest)})"
        )
    following = counters.pop(group.range_name, None)
    if following is None:
        found.add(f"{group.kind}: no number range {group.range_name} counts them")
    elif following - 1 > group.highest:
        unused = range(group.highest + 1, following)  # lazily: a counter may run far ahead
        found.add(
            f"{group.kind}: number range {group.range_name} drew up to {following - 1}, the "
            f"highest issued is {group.show(group.highest)}: "
            f"{_named(unused, group.show)} drawn and never used"
        )
    elif following - 1 < group.highest:
        found.add(
            f"{group.kind}: number range {group.range_name} stands at {following} (next), "
            f"behind the highest issued {group.show(group.highest)}: its next draw repeats one"
        )


def _master_numbers(connection: Connection, counters: dict[str, int], found: Findings) -> int:
    """Customer, Debitor and Kreditor numbers: the counter is past every one issued."""
    customers, highest_customer, highest_debitor = connection.execute(
        select(
            func.count(),
            # "K10001".."K99999": five digits, so the highest string is the highest number
            func.max(Customer.number).filter(Customer.number.like(CUSTOMER_NUMBER_PATTERN)),
            func.max(Customer.debitor_account),
        )
    ).one()
    suppliers, highest_kreditor = connection.execute(
        select(func.count(), func.max(Supplier.kreditor_account))
    ).one()
    customer = None if highest_customer is None else int(highest_customer[1:])
    highest: dict[str, tuple[int | None, str]] = {
        CUSTOMER_RANGE: (customer, "customer number K"),
        DEBITOR_RANGE: (highest_debitor, "Debitor "),
        KREDITOR_RANGE: (highest_kreditor, "Kreditor "),
    }
    for name, (issued, label) in highest.items():
        following = counters.pop(name, None)
        if issued is None:
            continue
        if following is None:
            found.add(f"{label}{issued} is issued, but there is no number range {name}")
        elif following <= issued:
            found.add(
                f"number range {name} draws {label}{following} next, {label}{issued} is issued "
                "already: its next draws repeat issued numbers"
            )
    return int(customers) + int(suppliers)


def check_numbers(connection: Connection, found: Findings) -> int:
    ranges = connection.execute(select(NumberRange.name, NumberRange.next_value))
    counters = {name: int(following) for name, following in ranges}
    groups = _journal_groups(connection)
    for series in DOCUMENT_SERIES:
        groups += _document_groups(connection, series)
    for group in groups:
        _gapless(group, counters, found)
    examined = sum(group.issued for group in groups)
    examined += _master_numbers(connection, counters, found)
    # Ranges left over drew numbers that no document carries.
    document_range = re.compile(
        rf"(?:{'|'.join(s.prefix for s in DOCUMENT_SERIES)})-\d{{4}}|{JOURNAL_RANGE}-\d+"
    )
    for name, following in sorted(counters.items()):
        first = JOURNAL_NUMBERS[0] if name.startswith(JOURNAL_RANGE) else DOCUMENT_NUMBERS[0]
        if document_range.fullmatch(name) and following > first:
            found.add(f"number range {name} drew {first}..{following - 1}, no document carries any")
    return examined
