"""Checks a DATEV EXTF Buchungsstapel file on its own, without erp.fibu.datev's code.

It reads the bytes as DATEV does (Windows-1252, CRLF, ``;``, quoted text, the 31-field header,
the 125 headings of Formatversion 13, rows of 125 fields) and parses the rows back into
postings: a row books its Umsatz on Konto (S or H) and on Gegenkonto (the other side), so
the file's totals per account and side can be held against the journal's.
"""

from __future__ import annotations

import calendar
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from erp.fibu.models import EntryStatus, JournalEntry

Postings = dict[tuple[int, str], Decimal]  # (account, "S" | "H") → total

HEADER_FIELDS, COLUMNS = 31, 125
FIRST_HEADINGS = [
    "Umsatz (ohne Soll/Haben-Kz)",
    "Soll/Haben-Kennzeichen",
    "WKZ Umsatz",
    "Kurs",
    "Basis-Umsatz",
    "WKZ Basis-Umsatz",
    "Konto",
    "Gegenkonto (ohne BU-Schlüssel)",
    "BU-Schlüssel",
    "Belegdatum",
    "Belegfeld 1",
    "Belegfeld 2",
    "Skonto",
    "Buchungstext",
]
# 1-based positions (DATEV's Formatbeschreibung, Formatversion 13)
LATER_HEADINGS = {
    114: "Festschreibung",
    115: "Leistungsdatum",
    116: "Datum Zuord. Steuerperiode",
    118: "Generalumkehr (GU)",
}
HEADER_TEXT_FIELDS = (1, 4, 8, 9, 10, 17, 18, 22, 27, 31)
ROW_TEXT_FIELDS = (2, 3, 11, 14)  # S/H, WKZ, Belegfeld 1, Buchungstext
AMOUNT = re.compile(r"[0-9]{1,10},[0-9]{2}")
ACCOUNT = re.compile(r"[1-9][0-9]{0,4}")  # Sachkontenlänge 4: personal accounts have five
BELEGFELD_1 = re.compile(r"[A-Za-z0-9$&%*+\-/]{0,36}")
LONG_DATE = re.compile(r"[0-9]{8}")


@dataclass(frozen=True)
class Cell:
    value: str
    quoted: bool


def split_line(line: str) -> list[Cell]:
    """A CSV line split at ``;`` outside double quotes; ``""`` inside quotes is one quote."""
    cells, i = [], 0
    while True:
        if line.startswith('"', i):
            parts, j = [], i + 1
            while True:
                k = line.find('"', j)
                if k < 0:
                    raise ValueError("a quote is never closed")
                parts.append(line[j:k])
                if not line.startswith('"', k + 1):
                    break
                parts.append('"')
                j = k + 2
            cells.append(Cell("".join(parts), quoted=True))
            i = k + 1
        else:
            k = line.find(";", i)
            k = len(line) if k < 0 else k
            cells.append(Cell(line[i:k], quoted=False))
            i = k
        if i == len(line):
            return cells
        if line[i] != ";":
            raise ValueError(f"text after a closing quote at {i}")
        i += 1


@dataclass(frozen=True)
class Expected:
    consultant: int
    client: int
    fiscal_year_start: date
    date_from: date
    date_to: date


@dataclass(frozen=True)
class Booking:
    """A row as DATEV reads it."""

    amount: Decimal
    side: str
    account: int
    contra: int
    belegdatum: str  # TTMM
    document: str
    text: str
    cells: list[Cell]

    def field(self, position: int) -> str:
        return self.cells[position - 1].value


@dataclass(frozen=True)
class DatevFile:
    header: list[Cell]
    headings: list[str]
    rows: list[Booking]

    def postings(self) -> Postings:
        totals: Postings = defaultdict(lambda: Decimal("0.00"))
        for row in self.rows:
            other = "H" if row.side == "S" else "S"
            totals[row.account, row.side] += row.amount
            totals[row.contra, other] += row.amount
        return dict(totals)


def _check_header(cells: list[Cell], expected: Expected, problems: list[str]) -> None:
    values = [c.value for c in cells]
    if len(cells) != HEADER_FIELDS:
        problems.append(f"header has {len(cells)} fields, not {HEADER_FIELDS}")
        return
    problems += [
        f"header field {n} unquoted" for n in HEADER_TEXT_FIELDS if not cells[n - 1].quoted
    ]
    wanted = {
        1: "EXTF",
        2: "700",
        3: "21",
        4: "Buchungsstapel",
        5: "13",
        11: str(expected.consultant),
        12: str(expected.client),
        13: f"{expected.fiscal_year_start:%Y%m%d}",
        14: "4",
        15: f"{expected.date_from:%Y%m%d}",
        16: f"{expected.date_to:%Y%m%d}",
        22: "EUR",
        27: "03",
    }
    problems += [
        f"header field {n} is {values[n - 1]!r}, not {v!r}"
        for n, v in wanted.items()
        if values[n - 1] != v
    ]
    if not re.fullmatch(r"20[0-9]{15}", values[5]):
        problems.append(f"Erzeugt am {values[5]!r} is not YYYYMMDDHHMMSSfff")
    if len(values[16]) > 30 or values[20] not in {"", "0", "1"}:
        problems.append("Bezeichnung longer than 30 or Festschreibung not 0/1")


def _belegdatum_problem(ttmm: str, expected: Expected) -> str | None:
    """TTMM, a real day of the batch's year (DATEV takes the year from the header), in it."""
    year = expected.date_from.year
    if not re.fullmatch(r"[0-9]{4}", ttmm) or not 1 <= int(ttmm[2:]) <= 12:
        return f"Belegdatum {ttmm!r} is not TTMM"
    if not 1 <= int(ttmm[:2]) <= calendar.monthrange(year, int(ttmm[2:]))[1]:
        return f"Belegdatum {ttmm!r} is no day"
    if not expected.date_from <= date(year, int(ttmm[2:]), int(ttmm[:2])) <= expected.date_to:
        return f"Belegdatum {ttmm!r} lies outside the batch"
    return None


def _check_row(number: int, cells: list[Cell], expected: Expected, problems: list[str]) -> None:
    def bad(what: str) -> None:
        problems.append(f"row {number}: {what}")

    if len(cells) != COLUMNS:
        bad(f"{len(cells)} fields, not {COLUMNS}")
        return
    value = [c.value for c in cells]
    for n in ROW_TEXT_FIELDS:
        if value[n - 1] and not cells[n - 1].quoted:
            bad(f"text field {n} unquoted")
    if not AMOUNT.fullmatch(value[0]) or not Decimal(value[0].replace(",", ".")) > 0:
        bad(f"Umsatz {value[0]!r} is not positive with a decimal comma")
    if value[1] not in {"S", "H"}:
        bad(f"Soll/Haben {value[1]!r}")
    if not (ACCOUNT.fullmatch(value[6]) and ACCOUNT.fullmatch(value[7])) or value[6] == value[7]:
        bad(f"accounts {value[6]!r} / {value[7]!r}")
    if value[8]:
        bad("a BU-Schlüssel: the Automatikkonten carry the tax")
    problem = _belegdatum_problem(value[9], expected)
    if problem:
        bad(problem)
    if not BELEGFELD_1.fullmatch(value[10]) or len(value[13]) > 60:
        bad("Belegfeld 1 or Buchungstext too long or with invalid characters")
    service, period = value[114], value[115]
    if bool(service) != bool(period) or any(
        v and not LONG_DATE.fullmatch(v) for v in (service, period)
    ):
        bad("Leistungsdatum and Datum Zuord. Steuerperiode go together, as TTMMJJJJ")
    if value[113] not in {"", "0", "1"} or value[117] not in {"", "0", "1"}:
        bad("Festschreibung or Generalumkehr not 0/1")


def check_file(content: bytes, expected: Expected) -> DatevFile:
    """Every format rule above; raises AssertionError listing what is wrong."""
    text = content.decode("cp1252")  # strict: undecodable bytes raise
    if not text.endswith("\r\n") or re.search(r"\r(?!\n)|(?<!\r)\n", text):
        raise AssertionError("DATEV file is invalid: line ends are not CRLF throughout")
    try:
        lines = [split_line(line) for line in text.split("\r\n")[:-1]]
    except ValueError as exc:
        raise AssertionError(f"DATEV file is invalid: {exc}") from exc
    if len(lines) < 2:
        raise AssertionError("DATEV file is invalid: no header or headings")
    problems: list[str] = []
    _check_header(lines[0], expected, problems)
    headings = [c.value for c in lines[1]]
    if len(headings) != COLUMNS or headings[: len(FIRST_HEADINGS)] != FIRST_HEADINGS:
        problems.append(f"headings: {len(headings)} of them, starting {headings[:14]}")
    elif any(headings[n - 1] != name for n, name in LATER_HEADINGS.items()):
        problems.append("headings 114–118 are not where DATEV expects them")
    rows = []
    for number, cells in enumerate(lines[2:], start=3):
        _check_row(number, cells, expected, problems)
        if len(cells) == COLUMNS:
            v = [c.value for c in cells]
            amount = Decimal(v[0].replace(",", ".")) if AMOUNT.fullmatch(v[0]) else Decimal(0)
            account, contra = (int(x) if x.isdigit() else 0 for x in (v[6], v[7]))
            rows.append(Booking(amount, v[1], account, contra, v[9], v[10], v[13], cells))
    if problems:
        raise AssertionError("DATEV file is invalid:\n" + "\n".join(problems))
    return DatevFile(lines[0], headings, rows)


def journal_postings(session: Session, date_from: date, date_to: date) -> Postings:
    """The posted journal in DATEV's view: each tax line on the Automatikkonto of its code."""
    totals: Postings = defaultdict(lambda: Decimal("0.00"))
    entries = session.scalars(
        select(JournalEntry)
        .where(
            JournalEntry.status == EntryStatus.posted,
            JournalEntry.posting_date.between(date_from, date_to),
        )
        .options(selectinload(JournalEntry.lines))
    )
    for entry in entries:
        for line in entry.lines:
            account = line.account_number
            if line.tax_line:
                owners = {
                    li.account_number
                    for li in entry.lines
                    if not li.tax_line and li.tax_code == line.tax_code
                }
                assert len(owners) == 1, "the tests book one account per tax code and entry"
                account = owners.pop()
            side, amount = ("S", line.debit) if line.debit else ("H", line.credit)
            totals[account, side] += amount
    return dict(totals)
