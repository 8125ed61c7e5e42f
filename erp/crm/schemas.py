"""CRM API models."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, Field, Strict

from erp.crm.models import ActivityKind, Stage
from erp.crm.rules import normalize_vat_id, vat_id_problem
from erp.schemas import (
    JSON_INTEGER,
    Email,
    IsoDate,
    Money,
    MoneyTotal,
    PatchModel,
    ReadModel,
    StrictModel,
)

# Request strings are stripped, so "not blank" must be published too: a fuzzer otherwise
# sends "\n", which passes minLength 1 and is empty once stripped (found by Schemathesis).
NOT_BLANK = r"\S"
Name = Annotated[str, Field(min_length=1, max_length=200, pattern=NOT_BLANK)]
Text200 = Annotated[str, Field(max_length=200)]
PostalCode = Annotated[str, Field(max_length=10, pattern=r"^[0-9A-Za-z \-]*$")]
Country = Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")]
Phone = Annotated[str, Field(max_length=40, pattern=r"^[0-9+()/ \-]*$")]


def _valid_vat_id(value: str) -> str:
    problem = vat_id_problem(value)
    if problem:
        raise ValueError(problem)
    return normalize_vat_id(value)


VatId = Annotated[
    str,
    AfterValidator(_valid_vat_id),
    Field(
        max_length=20,
        pattern=r"^[A-Za-z]{2}[0-9A-Za-z .\-]{2,18}$",
        description="USt-IdNr., e.g. DE136695976; German ids are checked with their check digit",
    ),
]
PaymentTerms = Annotated[
    int, Field(ge=0, le=365, description="Days until an invoice is due"), JSON_INTEGER
]
Probability = Annotated[int, Field(ge=0, le=100), JSON_INTEGER]
StageField = Annotated[Stage, Strict(False)]
KindField = Annotated[ActivityKind, Strict(False)]
Notes = Annotated[str, Field(max_length=5000)]
RefId = Annotated[int, Field(ge=1, le=2**31 - 1), JSON_INTEGER]


class CustomerBase(StrictModel):
    name: Name
    street: Text200 = ""
    postal_code: PostalCode = ""
    city: Annotated[str, Field(max_length=100)] = ""
    country: Country = "DE"
    vat_id: VatId | None = None
    email: Email | None = None
    phone: Phone | None = None
    payment_terms_days: PaymentTerms = 14
    credit_limit: Money = Decimal("0.00")


class CustomerCreate(CustomerBase):
    pass


class CustomerUpdate(PatchModel):
    clearable = frozenset({"vat_id", "email", "phone"})

    name: Name | None = None
    street: Text200 | None = None
    postal_code: PostalCode | None = None
    city: Annotated[str, Field(max_length=100)] | None = None
    country: Country | None = None
    vat_id: VatId | None = None
    email: Email | None = None
    phone: Phone | None = None
    payment_terms_days: PaymentTerms | None = None
    credit_limit: Money | None = None


class CustomerRead(ReadModel):
    id: int
    number: str
    debitor_account: int
    name: str
    street: str
    postal_code: str
    city: str
    country: str
    vat_id: str | None
    email: str | None
    phone: str | None
    payment_terms_days: int
    credit_limit: Money
    archived: bool
    created_at: datetime
    updated_at: datetime


class ContactCreate(StrictModel):
    name: Name
    role: Annotated[str, Field(max_length=100)] = ""
    email: Email | None = None
    phone: Phone | None = None


class ContactUpdate(PatchModel):
    clearable = frozenset({"email", "phone"})

    name: Name | None = None
    role: Annotated[str, Field(max_length=100)] | None = None
    email: Email | None = None
    phone: Phone | None = None


class ContactRead(ReadModel):
    id: int
    customer_id: int
    name: str
    role: str
    email: str | None
    phone: str | None
    archived: bool


class OpportunityCreate(StrictModel):
    customer_id: RefId
    title: Name
    expected_revenue: Money
    probability: Probability | None = Field(
        default=None, description="Default: the stage's probability (lead: 10 %)"
    )
    owner_id: RefId | None = Field(default=None, description="Default: the caller")
    close_date: IsoDate | None = None


class OpportunityUpdate(PatchModel):
    clearable = frozenset({"close_date"})

    title: Name | None = None
    expected_revenue: Money | None = None
    probability: Probability | None = None
    owner_id: RefId | None = None
    close_date: IsoDate | None = None


class StageChange(StrictModel):
    stage: StageField
    lost_reason: Annotated[str, Field(min_length=1, max_length=1000, pattern=NOT_BLANK)] | None = (
        Field(default=None, description="Required when the stage is 'lost'")
    )


class OpportunityRead(ReadModel):
    id: int
    customer_id: int
    title: str
    stage: Stage
    probability: int
    expected_revenue: Money
    owner_id: int
    close_date: date | None
    lost_reason: str | None
    archived: bool
    created_at: datetime
    updated_at: datetime


class ActivityCreate(StrictModel):
    kind: KindField
    subject: Name
    notes: Notes = ""
    due_date: IsoDate | None = None
    owner_id: RefId | None = Field(default=None, description="Default: the caller")
    customer_id: RefId
    opportunity_id: RefId | None = None


class ActivityUpdate(PatchModel):
    clearable = frozenset({"due_date"})

    subject: Name | None = None
    notes: Notes | None = None
    due_date: IsoDate | None = None
    owner_id: RefId | None = None
    done: bool | None = None


class ActivityRead(ReadModel):
    id: int
    kind: ActivityKind
    subject: str
    notes: str
    due_date: date | None
    owner_id: int
    done: bool
    done_at: datetime | None
    customer_id: int
    opportunity_id: int | None
    archived: bool


class StageSummary(ReadModel):
    stage: Stage
    count: int
    expected_revenue: MoneyTotal
    weighted_revenue: MoneyTotal


class PipelineSummary(ReadModel):
    stages: list[StageSummary]
    open_expected_revenue: MoneyTotal
    open_weighted_revenue: MoneyTotal


class HistoryEntry(ReadModel):
    action: str
    changes: dict[str, Any]
    user_id: int | None
    at: datetime
