"""Purchasing API models."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import Field

from erp.crm.schemas import Country, Name, PaymentTerms, PostalCode, VatId
from erp.purchasing.models import InvoiceStatus, OrderStatus
from erp.schemas import JSON_INTEGER, Email, IsoDate, Money, ReadModel, StrictModel

RefId = Annotated[int, Field(ge=1, le=2**31 - 1), JSON_INTEGER]
Quantity = Annotated[int, Field(ge=1, le=1_000_000), JSON_INTEGER]
SupplierReference = Annotated[
    str, Field(min_length=1, max_length=36, pattern=r"^[0-9A-Za-z$%&*+\-./]+$")
]


class SupplierCreate(StrictModel):
    name: Name
    street: Annotated[str, Field(max_length=200)] = ""
    postal_code: PostalCode = ""
    city: Annotated[str, Field(max_length=100)] = ""
    country: Country = "DE"
    vat_id: VatId | None = None
    email: Email | None = None
    payment_terms_days: PaymentTerms = 30


class SupplierRead(ReadModel):
    id: int
    kreditor_account: int
    name: str
    street: str
    postal_code: str
    city: str
    country: str
    vat_id: str | None
    email: str | None
    payment_terms_days: int
    created_at: datetime


class OrderLineIn(StrictModel):
    article_id: RefId
    quantity: Quantity
    unit_price: Money | None = Field(default=None, description="Net; default: the article's")


class OrderCreate(StrictModel):
    supplier_id: RefId
    order_date: IsoDate
    expected_date: IsoDate | None = None
    lines: Annotated[list[OrderLineIn], Field(min_length=1, max_length=100)]


class OrderLineRead(ReadModel):
    id: int
    position: int
    article_id: int
    quantity: int
    unit_price: Money
    vat_rate: int
    received_quantity: int
    invoiced_quantity: int


class OrderRead(ReadModel):
    id: int
    number: str | None
    supplier_id: int
    status: OrderStatus
    order_date: date
    expected_date: date | None
    ordered_at: datetime | None
    lines: list[OrderLineRead]


class ReceiptLineIn(StrictModel):
    order_line_id: RefId
    quantity: Quantity


class ReceiptCreate(StrictModel):
    warehouse_id: RefId
    receipt_date: IsoDate
    lines: Annotated[list[ReceiptLineIn], Field(min_length=1, max_length=100)]


class ReceiptLineRead(ReadModel):
    order_line_id: int
    quantity: int
    movement_id: int


class ReceiptRead(ReadModel):
    id: int
    number: str
    order_id: int
    warehouse_id: int
    receipt_date: date
    lines: list[ReceiptLineRead]


class InvoiceCreate(StrictModel):
    supplier_reference: SupplierReference
    invoice_date: IsoDate
    service_date: IsoDate | None = Field(default=None, description="Default: the invoice date")
    due_date: IsoDate | None = Field(default=None, description="Default: by payment terms")


class InvoiceLineRead(ReadModel):
    order_line_id: int
    quantity: int
    unit_price: Money
    vat_rate: int
    net: Money


class InvoiceRead(ReadModel):
    id: int
    number: str
    supplier_id: int
    supplier_reference: str
    order_id: int
    invoice_date: date
    service_date: date
    due_date: date
    net_total: Money
    tax_total: Money
    gross_total: Money
    paid_total: Money
    status: InvoiceStatus
    journal_entry_id: int
    lines: list[InvoiceLineRead]


class PaymentCreate(StrictModel):
    amount: Money
    payment_date: IsoDate


class PaymentRead(ReadModel):
    id: int
    invoice_id: int
    amount: Money
    payment_date: date
    journal_entry_id: int
