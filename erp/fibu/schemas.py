"""FIBU API models: company, accounts, periods, journal entries."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import Field, Strict, model_validator

from erp.crm.schemas import Country, Name, PostalCode, VatId
from erp.fibu.models import AccountKind, EntryStatus, TaxDirection
from erp.schemas import JSON_INTEGER, IsoDate, Money, PatchModel, ReadModel, StrictModel

AccountNumber = Annotated[int, Field(ge=1, le=99999, description="SKR03 account"), JSON_INTEGER]
DocumentNumber = Annotated[
    str, Field(min_length=1, max_length=36, pattern=r"^[0-9A-Za-z$%&*+\-./]+$")
]  # DATEV Belegfeld 1 allows these characters only
BookingText = Annotated[str, Field(min_length=1, max_length=60, pattern=r"\S")]
Reference = Annotated[str, Field(max_length=36, pattern=r"^[0-9A-Za-z$%&*+\-./]*$")]
KindField = Annotated[AccountKind, Strict(False)]


class CompanyRead(ReadModel):
    name: str
    street: str
    postal_code: str
    city: str
    country: str
    tax_number: str
    vat_id: str | None
    datev_consultant_number: int
    datev_client_number: int
    fiscal_year_start_month: int
    tax_method: str
    updated_at: datetime


class CompanyUpdate(PatchModel):
    clearable = frozenset({"vat_id"})

    name: Name | None = None
    street: Annotated[str, Field(max_length=120)] | None = None
    postal_code: PostalCode | None = None
    city: Annotated[str, Field(max_length=80)] | None = None
    country: Country | None = None
    tax_number: Annotated[str, Field(max_length=20, pattern=r"^[0-9 /]*$")] | None = None
    vat_id: VatId | None = None
    datev_consultant_number: (
        Annotated[int, Field(ge=1001, le=9999999, description="Beraternummer"), JSON_INTEGER] | None
    ) = None
    datev_client_number: (
        Annotated[int, Field(ge=1, le=99999, description="Mandantennummer"), JSON_INTEGER] | None
    ) = None


class TaxCodeRead(ReadModel):
    code: str
    description: str
    rate: int
    direction: TaxDirection
    tax_account: int


class AccountRead(ReadModel):
    number: int
    name: str
    kind: AccountKind
    tax_code: str | None
    active: bool


class AccountCreate(StrictModel):
    number: AccountNumber
    name: Name
    kind: KindField
    tax_code: Annotated[str, Field(max_length=10)] | None = None


class FiscalYearOpen(StrictModel):
    year: Annotated[int, Field(ge=2000, le=2099), JSON_INTEGER]


class PeriodRead(ReadModel):
    id: int
    fiscal_year: int
    month_index: int
    first_day: date
    last_day: date
    closed: bool
    closed_at: datetime | None


class LineIn(StrictModel):
    account: AccountNumber
    debit: Money | None = None
    credit: Money | None = None
    reference: Reference | None = Field(
        default=None, description="Open-item reference; default: the document number"
    )

    @model_validator(mode="after")
    def _one_side(self) -> LineIn:
        if (self.debit is None) == (self.credit is None):
            raise ValueError("give exactly one of debit and credit")
        return self


class EntryCreate(StrictModel):
    """A booking. Lines on Automatikkonten (8400, 3400, …) are net; the tax line is added."""

    document_number: DocumentNumber
    document_date: IsoDate
    posting_date: IsoDate
    service_date: IsoDate | None = Field(default=None, description="Leistungsdatum")
    due_date: IsoDate | None = None
    text: BookingText
    lines: Annotated[list[LineIn], Field(min_length=2, max_length=50)]
    post: bool = Field(default=False, description="Post at once instead of saving a draft")


class EntryUpdate(PatchModel):
    clearable = frozenset({"service_date", "due_date"})

    document_number: DocumentNumber | None = None
    document_date: IsoDate | None = None
    posting_date: IsoDate | None = None
    service_date: IsoDate | None = None
    due_date: IsoDate | None = None
    text: BookingText | None = None
    lines: Annotated[list[LineIn], Field(min_length=2, max_length=50)] | None = None


class ReverseRequest(StrictModel):
    posting_date: IsoDate | None = Field(
        default=None, description="Default: today (or the original's date, if later)"
    )
    text: BookingText | None = None


class LineRead(ReadModel):
    position: int
    account_number: int
    debit: Money
    credit: Money
    tax_code: str | None
    tax_line: bool
    reference: str


class EntryRead(ReadModel):
    id: int
    status: EntryStatus
    fiscal_year: int
    number: int | None
    document_number: str
    document_date: date
    posting_date: date
    service_date: date
    due_date: date | None
    text: str
    reverses_id: int | None
    reversed_by_id: int | None = None
    created_at: datetime
    posted_at: datetime | None
    lines: list[LineRead]


class AuditRead(ReadModel):
    id: int
    entity: str
    entity_id: int
    action: str
    changes: str
    user_id: int | None
    at: datetime
