"""DATEV EXTF Buchungsstapel: DATEV-Format 700, category 21, Formatversion 13.

The file: Windows-1252, ``;`` separated, CRLF line ends. Line 1 is the 31-field EXTF header,
line 2 the 125 column headings of Formatversion 13 (as in DATEV's sample files), then one
row per business posting, each with all 125 fields. Sources: the Formatbeschreibung
"DATEV-Format" on developer.datev.de as implemented by public references (the npm package
@seamless-engineering/datev-extf, the Rust crate datev-types).

How the journal becomes rows (DATEV's logic: no tax rows, Automatikkonten carry the tax):

- Tax lines are folded into the net lines of their tax code: a row's Umsatz is the net line
  plus its share of the tax line. With several lines of one code in an entry the tax line is
  split in proportion to the signed net amounts, each share half-up to cents, and the
  rounding remainder goes to the largest line (the first of equal ones): the rows of an entry
  always add up to the journal exactly. DATEV derives the tax of each row from its gross
  again; for one line per rate that is our tax to the cent, for split lines it may differ by
  a cent per row from our single tax line (the gross amounts stay exact).
- Konto is the entry's personal account (Debitor / Kreditor), else Bank / Kasse /
  Geldtransit, else the account of the first debit line. Each other line becomes a row with
  that line as Gegenkonto, Umsatz positive, Soll/Haben from the point of view of Konto.
- Entries that are not "one against many" (lines on both sides besides Konto) are paired
  debit against credit in line order, so every account keeps its exact debit and credit
  traffic; a pair without Konto takes the higher ranked account (personal, money, else the
  debit side) as Konto. Lines of one account on both sides of one entry are netted first.
- Reversals (Storno) are exported as their own rows with Soll/Haben swapped, as they stand in
  the journal; the Generalumkehr flag stays empty: with GU, DATEV would book them as
  negative amounts on the original side and its debit/credit traffic would differ from ours.
- Belegdatum (TTMM) is the document date when it lies in the batch, else the posting date:
  DATEV reads TTMM in the batch's year and books the row into that month, so a document date
  outside the batch (e.g. a March invoice reversed in April) would land in a wrong period.
- A row with tax whose Leistungsdatum falls in another month than its Belegdatum carries
  Leistungsdatum and "Datum Zuord. Steuerperiode" (TTMMJJJJ), so DATEV's UStVA follows the
  Leistungsdatum as ours does.
- Belegfeld 1 keeps the characters DATEV allows (A–Z, a–z, 0–9, $ & % * + - /), at most 36;
  Buchungstext at most 60 characters; characters Windows-1252 lacks become "?".
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from erp.errors import Conflict, DomainError
from erp.fibu import rules, service
from erp.fibu.models import EntryStatus, JournalEntry, JournalLine
from erp.money import ZERO, round_cents
from erp.timeutil import BERLIN, utcnow

ENCODING = "cp1252"
MEDIA_TYPE = "text/csv; charset=windows-1252"
ACCOUNT_LENGTH = 4  # Sachkontenlänge: SKR03 accounts have four digits, personal ones five
MONEY_ACCOUNTS = frozenset({1000, 1200, 1360})  # Kasse, Bank, Geldtransit
MAX_ROWS = 99_999
MAX_AMOUNT = 10**10  # Umsatz has at most ten digits before the comma
FIRST_YEAR, LAST_YEAR = 2000, 2099

_NAMED = (
    "Umsatz (ohne Soll/Haben-Kz);Soll/Haben-Kennzeichen;WKZ Umsatz;Kurs;Basis-Umsatz;"
    "WKZ Basis-Umsatz;Konto;Gegenkonto (ohne BU-Schlüssel);BU-Schlüssel;Belegdatum;"
    "Belegfeld 1;Belegfeld 2;Skonto;Buchungstext;Postensperre;Diverse Adressnummer;"
    "Geschäftspartnerbank;Sachverhalt;Zinssperre;Beleglink"
)
_COST = (
    "KOST1 - Kostenstelle;KOST2 - Kostenstelle;Kost-Menge;EU-Land u. UStID (Bestimmung);"
    "EU-Steuersatz (Bestimmung);Abw. Versteuerungsart;Sachverhalt L+L;Funktionsergänzung L+L;"
    "BU 49 Hauptfunktionstyp;BU 49 Hauptfunktionsnummer;BU 49 Funktionsergänzung"
)
_LAST = (
    "Stück;Gewicht;Zahlweise;Forderungsart;Veranlagungsjahr;Zugeordnete Fälligkeit;Skontotyp;"
    "Auftragsnummer;Buchungstyp;USt-Schlüssel (Anzahlungen);EU-Land (Anzahlungen);"
    "Sachverhalt L+L (Anzahlungen);EU-Steuersatz (Anzahlungen);Erlöskonto (Anzahlungen);"
    "Herkunft-Kz;Buchungs GUID;KOST-Datum;SEPA-Mandatsreferenz;Skontosperre;"
    "Gesellschaftername;Beteiligtennummer;Identifikationsnummer;Zeichnernummer;"
    "Postensperre bis;Bezeichnung SoBil-Sachverhalt;Kennzeichen SoBil-Buchung;Festschreibung;"
    "Leistungsdatum;Datum Zuord. Steuerperiode;Fälligkeit;Generalumkehr (GU);Steuersatz;Land;"
    "Abrechnungsreferenz;BVV-Position;EU-Land u. UStID (Ursprung);EU-Steuersatz (Ursprung);"
    "Abw. Skontokonto"
)
# Line 2 of the file: the 125 headings of Formatversion 13, spelled as in DATEV's samples.
HEADING_LINE = ";".join(
    (
        _NAMED,
        *(f"Beleginfo - {kind} {n}" for n in range(1, 9) for kind in ("Art", "Inhalt")),
        _COST,
        *(f"Zusatzinformation{kind} {n}" for n in range(1, 21) for kind in (" - Art", "- Inhalt")),
        _LAST,
    )
)
HEADINGS = tuple(HEADING_LINE.split(";"))
_COLUMN = {name: index for index, name in enumerate(HEADINGS)}


class InvalidExportRange(DomainError):
    status, title, slug = 422, "Invalid export range", "invalid-export-range"


class DatevLimitExceeded(Conflict):
    slug = "datev-limit-exceeded"


@dataclass(frozen=True)
class BatchHeader:
    consultant_number: int  # Beraternummer
    client_number: int  # Mandantennummer
    fiscal_year_start: date  # WJ-Beginn
    date_from: date
    date_to: date
    created: datetime  # Erzeugt am (written in Europe/Berlin time)
    label: str  # Bezeichnung, at most 30 characters


@dataclass(frozen=True)
class Row:
    """One Buchungsstapel row: ``amount`` (gross, positive) on Konto ``account``."""

    amount: Decimal
    side: str  # "S": Konto is debited, "H": credited
    account: int
    contra: int
    document_date: date  # Belegdatum
    document_number: str  # Belegfeld 1
    text: str  # Buchungstext
    service_date: date | None = None  # Leistungsdatum and Datum Zuord. Steuerperiode


def _text(value: str, limit: int) -> str:
    """A quoted text field: one line, at most ``limit`` characters, Windows-1252 only."""
    clean = re.sub(r"[\x00-\x1f\x7f-\x9f]+", " ", value).strip()[:limit]
    clean = clean.encode(ENCODING, errors="replace").decode(ENCODING)
    return '"' + clean.replace('"', '""') + '"'


def document_field(value: str) -> str:
    """Belegfeld 1: only the characters DATEV accepts there, at most 36."""
    return re.sub(r"[^A-Za-z0-9$&%*+\-/]", "", value)[:36]


def amount_field(amount: Decimal) -> str:
    if not 0 < amount < MAX_AMOUNT:
        raise DatevLimitExceeded(f"DATEV takes amounts from 0,01 to 9999999999,99, not {amount}")
    return f"{amount:.2f}".replace(".", ",")


def header_line(header: BatchHeader) -> str:
    created = header.created.astimezone(BERLIN)
    stamp = f"{created:%Y%m%d%H%M%S}{created.microsecond // 1000:03d}"
    fields = [
        *('"EXTF"', "700", "21", '"Buchungsstapel"', "13", stamp, "", '"RE"', '""', '""'),
        *(str(header.consultant_number), str(header.client_number)),
        *(f"{header.fiscal_year_start:%Y%m%d}", str(ACCOUNT_LENGTH)),
        *(f"{header.date_from:%Y%m%d}", f"{header.date_to:%Y%m%d}", _text(header.label, 30)),
        *('""', "1", "0", "0", '"EUR"', "", '""', "", "", '"03"', "", "", '""', '""'),
    ]
    return ";".join(fields)


def row_line(row: Row) -> str:
    fields = [""] * len(HEADINGS)
    values = {
        "Umsatz (ohne Soll/Haben-Kz)": amount_field(row.amount),
        "Soll/Haben-Kennzeichen": f'"{row.side}"',
        "WKZ Umsatz": '"EUR"',
        "Konto": str(row.account),
        "Gegenkonto (ohne BU-Schlüssel)": str(row.contra),
        "Belegdatum": f"{row.document_date:%d%m}",
        "Belegfeld 1": _text(document_field(row.document_number), 36),
        "Buchungstext": _text(row.text, 60),
    }
    if row.service_date is not None:
        values["Leistungsdatum"] = f"{row.service_date:%d%m%Y}"
        values["Datum Zuord. Steuerperiode"] = f"{row.service_date:%d%m%Y}"
    for name, value in values.items():
        fields[_COLUMN[name]] = value
    return ";".join(fields)


def write_buchungsstapel(header: BatchHeader, rows: Sequence[Row]) -> bytes:
    """The file: header, headings, rows; CRLF line ends, Windows-1252."""
    if len(rows) > MAX_ROWS:
        raise DatevLimitExceeded(f"a DATEV batch takes {MAX_ROWS} rows, not {len(rows)}")
    lines = [header_line(header), HEADING_LINE, *(row_line(row) for row in rows)]
    return "".join(line + "\r\n" for line in lines).encode(ENCODING, errors="replace")


# From the journal -----------------------------------------------------------------------
@dataclass(frozen=True)
class Leg:
    """A net line with its share of the tax: the signed gross amount (debit positive)."""

    account: int
    amount: Decimal
    taxed: bool


def allocate(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """``total`` split in proportion to ``weights`` (their sum is not 0), half-up to cents;
    the remainder goes to the largest weight (the first of equal ones): exact in sum."""
    whole = sum(weights, ZERO)
    shares = [round_cents(total * weight / whole) for weight in weights]
    largest = max(range(len(weights)), key=lambda k: (abs(weights[k]), -k))
    shares[largest] += total - sum(shares, ZERO)
    return shares


def _net_two_sided(legs: list[Leg]) -> list[Leg]:
    """An account with legs on both sides of one entry gets one netted leg."""
    sides: dict[int, set[bool]] = defaultdict(set)
    for leg in legs:
        sides[leg.account].add(leg.amount > 0)
    result: list[Leg] = []
    merged: dict[int, int] = {}
    for leg in legs:
        if len(sides[leg.account]) == 1:
            result.append(leg)
        elif leg.account in merged:
            first = result[merged[leg.account]]
            total = replace(first, amount=first.amount + leg.amount, taxed=first.taxed or leg.taxed)
            result[merged[leg.account]] = total
        else:
            merged[leg.account] = len(result)
            result.append(leg)
    return [leg for leg in result if leg.amount != 0]


def legs_of(lines: Sequence[JournalLine]) -> list[Leg]:
    """The entry's lines with every tax line folded into the net lines of its tax code."""
    net = [li for li in lines if not li.tax_line]
    legs = [Leg(li.account_number, li.debit - li.credit, li.tax_code is not None) for li in net]
    for code in sorted({li.tax_code or "" for li in lines if li.tax_line}):
        taxes = [li for li in lines if li.tax_line and (li.tax_code or "") == code]
        tax = sum((li.debit - li.credit for li in taxes), ZERO)
        owners = [k for k, li in enumerate(net) if code and li.tax_code == code]
        weights = [legs[k].amount for k in owners]
        if not owners or sum(weights, ZERO) == 0:  # no net line to carry it: a row of its own
            legs += [Leg(li.account_number, li.debit - li.credit, True) for li in taxes]
            continue
        for k, share in zip(owners, allocate(tax, weights), strict=True):
            legs[k] = replace(legs[k], amount=legs[k].amount + share)
    return _net_two_sided(legs)


def _rank(account: int) -> int:
    if account in service.DEBITORS or account in service.KREDITORS:
        return 0
    return 1 if account in MONEY_ACCOUNTS else 2


def main_account(legs: Sequence[Leg]) -> int:
    """Konto: the personal account, else Bank / Kasse, else the first debit line's."""
    best = min(legs, key=lambda leg: (_rank(leg.account), leg.amount <= 0))
    return best.account


def _pairs(legs: Sequence[Leg], main: int) -> Iterator[tuple[Leg, Leg, Decimal]]:
    """Debit legs against credit legs in order, Konto's legs first: (debit, credit, amount)."""
    debits = sorted((leg for leg in legs if leg.amount > 0), key=lambda leg: leg.account != main)
    credits = sorted((leg for leg in legs if leg.amount < 0), key=lambda leg: leg.account != main)
    open_debit = [leg.amount for leg in debits]
    open_credit = [-leg.amount for leg in credits]
    i = j = 0
    while i < len(debits) and j < len(credits):
        amount = min(open_debit[i], open_credit[j])
        yield debits[i], credits[j], amount
        open_debit[i] -= amount
        open_credit[j] -= amount
        if open_debit[i] == 0:
            i += 1
        if open_credit[j] == 0:
            j += 1


def belegdatum(entry: JournalEntry, date_from: date, date_to: date) -> date:
    inside = date_from <= entry.document_date <= date_to
    return entry.document_date if inside else entry.posting_date


def entry_rows(entry: JournalEntry, date_from: date, date_to: date) -> list[Row]:
    """The rows of one posted entry in a batch from ``date_from`` to ``date_to``."""
    lines: Sequence[JournalLine] = entry.lines
    legs = legs_of(lines)
    if not legs:
        return []
    main = main_account(legs)
    day = belegdatum(entry, date_from, date_to)
    service_month = (entry.service_date.year, entry.service_date.month)
    rows = []
    for debit, credit, amount in _pairs(legs, main):
        debit_is_konto = debit.account == main or (
            credit.account != main and _rank(debit.account) <= _rank(credit.account)
        )
        konto, contra = (debit, credit) if debit_is_konto else (credit, debit)
        taxed = debit.taxed or credit.taxed
        rows.append(
            Row(
                amount=amount,
                side="S" if debit_is_konto else "H",
                account=konto.account,
                contra=contra.account,
                document_date=day,
                document_number=entry.document_number,
                text=entry.text,
                service_date=(
                    entry.service_date if taxed and service_month != (day.year, day.month) else None
                ),
            )
        )
    return rows


def batch_fiscal_year_start(date_from: date, date_to: date, start_month: int) -> date:
    """WJ-Beginn of the batch; a batch lies in one fiscal year and one calendar year."""
    for day in (date_from, date_to):
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise InvalidExportRange(f"dates lie between {FIRST_YEAR} and {LAST_YEAR}")
    if date_from > date_to:
        raise InvalidExportRange("date_from is after date_to")
    fiscal_year = rules.fiscal_year_of(date_from, start_month)
    if date_to.year != date_from.year or rules.fiscal_year_of(date_to, start_month) != fiscal_year:
        raise InvalidExportRange("a DATEV batch lies within one fiscal year and one calendar year")
    return date(fiscal_year, start_month, 1)


@dataclass(frozen=True)
class DatevExport:
    filename: str
    content: bytes
    rows: int


def export_buchungsstapel(
    session: Session, *, date_from: date, date_to: date, created: datetime | None = None
) -> DatevExport:
    """The Buchungsstapel of the entries posted from ``date_from`` to ``date_to``."""
    company = service.get_company(session)
    wj_start = batch_fiscal_year_start(date_from, date_to, company.fiscal_year_start_month)
    entries = session.scalars(
        select(JournalEntry)
        .where(
            JournalEntry.status == EntryStatus.posted,
            JournalEntry.posting_date.between(date_from, date_to),
        )
        .options(selectinload(JournalEntry.lines))
        .order_by(JournalEntry.posting_date, JournalEntry.fiscal_year, JournalEntry.number)
    )
    rows = [row for entry in entries for row in entry_rows(entry, date_from, date_to)]
    header = BatchHeader(
        consultant_number=company.datev_consultant_number,
        client_number=company.datev_client_number,
        fiscal_year_start=wj_start,
        date_from=date_from,
        date_to=date_to,
        created=created or utcnow(),
        label=f"Valeo {date_from:%d.%m.%Y}-{date_to:%d.%m.%Y}",
    )
    filename = f"EXTF_Buchungsstapel_{date_from:%Y%m%d}_{date_to:%Y%m%d}.csv"
    return DatevExport(filename, write_buchungsstapel(header, rows), len(rows))
