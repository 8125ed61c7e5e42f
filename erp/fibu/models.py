"""FIBU tables. Posted entries and their lines are immutable (checked here, in the service
and by database triggers); corrections are reversals that reference the original."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, Enum, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from erp.db import Base
from erp.timeutil import utcnow


def _enum(kind: type[StrEnum], length: int = 20) -> Enum:
    return Enum(kind, native_enum=False, length=length, create_constraint=True)


class AccountKind(StrEnum):
    asset = "asset"  # Aktiva
    liability = "liability"  # Passiva: Verbindlichkeiten, Steuern
    equity = "equity"  # Eigenkapital, Saldenvorträge
    revenue = "revenue"  # Erlöse
    expense = "expense"  # Aufwand, Wareneingang
    debitor = "debitor"  # Personenkonto eines Kunden (10000–69999)
    kreditor = "kreditor"  # Personenkonto eines Lieferanten (70000–99999)


class TaxDirection(StrEnum):
    output = "output"  # Umsatzsteuer
    input = "input"  # Vorsteuer


class EntryStatus(StrEnum):
    draft = "draft"
    posted = "posted"


class Company(Base):
    """The bookkeeping company: one row (id 1)."""

    __tablename__ = "company"
    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint("fiscal_year_start_month BETWEEN 1 AND 12", name="fiscal_start"),
        CheckConstraint("datev_consultant_number BETWEEN 1001 AND 9999999", name="berater"),
        CheckConstraint("datev_client_number BETWEEN 1 AND 99999", name="mandant"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    name: Mapped[str] = mapped_column(String(120))
    street: Mapped[str] = mapped_column(String(120), default="")
    postal_code: Mapped[str] = mapped_column(String(10), default="")
    city: Mapped[str] = mapped_column(String(80), default="")
    country: Mapped[str] = mapped_column(String(2), default="DE")
    tax_number: Mapped[str] = mapped_column(String(20), default="")  # Steuernummer
    vat_id: Mapped[str | None] = mapped_column(String(14))  # USt-IdNr.
    datev_consultant_number: Mapped[int] = mapped_column(default=1001)  # Beraternummer
    datev_client_number: Mapped[int] = mapped_column(default=1)  # Mandantennummer
    fiscal_year_start_month: Mapped[int] = mapped_column(default=1)
    tax_method: Mapped[str] = mapped_column(String(10), default="soll")  # Sollversteuerung
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class TaxCode(Base):
    """A VAT rate and the account its tax is booked on (e.g. USt19 → 1776)."""

    __tablename__ = "tax_code"
    __table_args__ = (CheckConstraint("rate > 0 AND rate < 100", name="rate_percent"),)

    code: Mapped[str] = mapped_column(String(10), primary_key=True)
    description: Mapped[str] = mapped_column(String(80))
    rate: Mapped[int]  # percent: 19 or 7
    direction: Mapped[TaxDirection] = mapped_column(_enum(TaxDirection))
    tax_account: Mapped[int] = mapped_column(ForeignKey("account.number"))


class Account(Base):
    __tablename__ = "account"
    __table_args__ = (CheckConstraint("number BETWEEN 1 AND 99999", name="number_range"),)

    number: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[AccountKind] = mapped_column(_enum(AccountKind))
    # An Automatikkonto: amounts booked on it are net, the service adds the tax line.
    # No foreign key: tax_code.tax_account points here already (the service checks codes).
    tax_code: Mapped[str | None] = mapped_column(String(10))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Period(Base):
    """A month of a fiscal year; posting into a closed period is refused."""

    __tablename__ = "fiscal_period"
    __table_args__ = (
        UniqueConstraint("fiscal_year", "month_index", name="uq_fiscal_period_year_month"),
        CheckConstraint("month_index BETWEEN 1 AND 12", name="month_index"),
        CheckConstraint("first_day <= last_day", name="ordered"),
        Index("ix_fiscal_period_days", "first_day", "last_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fiscal_year: Mapped[int]  # the calendar year the fiscal year starts in
    month_index: Mapped[int]  # 1 = first month of the fiscal year
    first_day: Mapped[date]
    last_day: Mapped[date]
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    @property
    def closed(self) -> bool:
        return self.closed_at is not None


class JournalEntry(Base):
    __tablename__ = "journal_entry"
    __table_args__ = (
        UniqueConstraint("fiscal_year", "number", name="uq_journal_entry_number"),
        UniqueConstraint("reverses_id", name="uq_journal_entry_reverses_id"),
        CheckConstraint(
            "(status = 'draft' AND number IS NULL AND posted_at IS NULL)"
            " OR (status = 'posted' AND number IS NOT NULL AND posted_at IS NOT NULL)",
            name="posted_has_number",
        ),
        Index("ix_journal_entry_posting_date", "posting_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[EntryStatus] = mapped_column(_enum(EntryStatus), default=EntryStatus.draft)
    fiscal_year: Mapped[int]
    number: Mapped[int | None]  # gapless per fiscal year, drawn when posting
    document_number: Mapped[str] = mapped_column(String(36))  # Belegnummer (DATEV Belegfeld 1)
    document_date: Mapped[date]  # Belegdatum
    posting_date: Mapped[date]  # Buchungsdatum: decides the period
    service_date: Mapped[date]  # Leistungsdatum: decides the UStVA period (Sollversteuerung)
    due_date: Mapped[date | None]  # for open items
    text: Mapped[str] = mapped_column(String(120))  # Buchungstext (DATEV: 60 characters)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entry.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    posted_at: Mapped[datetime | None]
    posted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    lines: Mapped[list[JournalLine]] = relationship(
        back_populates="entry", order_by="JournalLine.position", cascade="all, delete-orphan"
    )


class JournalLine(Base):
    __tablename__ = "journal_line"
    __table_args__ = (
        CheckConstraint("debit >= 0 AND credit >= 0", name="not_negative"),
        CheckConstraint("(debit = 0) <> (credit = 0)", name="debit_xor_credit"),
        UniqueConstraint("entry_id", "position", name="uq_journal_line_position"),
        Index("ix_journal_line_account", "account_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entry.id"))
    position: Mapped[int]
    account_number: Mapped[int] = mapped_column(ForeignKey("account.number"))
    debit: Mapped[Decimal]
    credit: Mapped[Decimal]
    # On a revenue/expense line: the tax code its tax was derived with. On a tax line: the
    # code it belongs to, with ``tax_line`` set (DATEV folds it into the gross amount).
    tax_code: Mapped[str | None] = mapped_column(ForeignKey("tax_code.code"))
    tax_line: Mapped[bool] = mapped_column(default=False)
    reference: Mapped[str] = mapped_column(String(36), default="")  # OP-Nummer (open items)

    entry: Mapped[JournalEntry] = relationship(back_populates="lines")
