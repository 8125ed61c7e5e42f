"""Sales API models."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import Field

from erp.purchasing.schemas import Quantity, RefId
from erp.sales.models import InvoiceKind, SalesInvoiceStatus, SalesOrderStatus
from erp.schemas import IsoDate, Money, MoneyTotal, ReadModel, StrictModel

Reference = Annotated[str, Field(max_length=36, pattern=r"^[0-9A-Za-z $%&*+\-./#]*$")]


class SalesOrderLineIn(StrictModel):
    article_id: RefId
    quantity: Quantity
    unit_price: Money | None = Field(default=None, description="Net; default: the article's")


class SalesOrderCreate(StrictModel):
    customer_id: RefId
    warehouse_id: RefId = Field(description="Where the stock is reserved and shipped from")
    order_date: IsoDate
    requested_date: IsoDate | None = None
    customer_reference: Reference = Field(default="", description="The customer's order number")
    lines: Annotated[list[SalesOrderLineIn], Field(min_length=1, max_length=100)]


class SalesOrderLineRead(ReadModel):
    id: int
    position: int
    article_id: int
    quantity: int
    unit_price: Money
    vat_rate: int
    net: MoneyTotal
    delivered_quantity: int
    invoiced_quantity: int
    cancelled_quantity: int
    open_quantity: int


class SalesOrderRead(ReadModel):
    id: int
    number: str | None
    customer_id: int
    warehouse_id: int
    status: SalesOrderStatus
    order_date: date
    requested_date: date | None
    customer_reference: str
    confirmed_at: datetime | None
    cancelled_at: datetime | None
    net_total: MoneyTotal
    gross_total: MoneyTotal
    lines: list[SalesOrderLineRead]


class DeliveryLineIn(StrictModel):
    order_line_id: RefId
    quantity: Quantity


class DeliveryCreate(StrictModel):
    delivery_date: IsoDate
    lines: Annotated[list[DeliveryLineIn], Field(min_length=1, max_length=100)] | None = Field(
        default=None, description="Default: everything still open"
    )


class DeliveryLineRead(ReadModel):
    order_line_id: int
    quantity: int
    movement_id: int


class DeliveryRead(ReadModel):
    id: int
    number: str
    order_id: int
    warehouse_id: int
    delivery_date: date
    lines: list[DeliveryLineRead]


class SalesInvoiceCreate(StrictModel):
    invoice_date: IsoDate
    service_date: IsoDate | None = Field(
        default=None, description="Leistungsdatum; default: the order's last delivery"
    )
    due_date: IsoDate | None = Field(default=None, description="Default: by payment terms")


class CorrectionCreate(StrictModel):
    invoice_date: IsoDate
    reason: Annotated[str, Field(min_length=1, max_length=200, pattern=r"\S")]


class SalesInvoiceLineRead(ReadModel):
    position: int
    order_line_id: int
    article_id: int
    sku: str
    description: str
    unit: str
    quantity: int
    unit_price: Money
    vat_rate: int
    net: MoneyTotal


class RateTotalRead(ReadModel):
    rate: int
    net: MoneyTotal
    tax: MoneyTotal
    gross: MoneyTotal


class CustomerPaymentCreate(StrictModel):
    amount: Money
    payment_date: IsoDate


class CustomerPaymentRead(ReadModel):
    id: int
    number: str
    invoice_id: int
    amount: Money
    payment_date: date
    journal_entry_id: int


class SalesInvoiceRead(ReadModel):
    id: int
    number: str
    kind: InvoiceKind
    corrects_id: int | None
    order_id: int
    customer_id: int
    customer_number: str
    customer_name: str
    customer_street: str
    customer_postal_code: str
    customer_city: str
    customer_country: str
    customer_vat_id: str | None
    seller_name: str
    seller_street: str
    seller_postal_code: str
    seller_city: str
    seller_country: str
    seller_tax_number: str
    seller_vat_id: str | None
    invoice_date: date
    service_date: date
    due_date: date
    net_total: MoneyTotal
    tax_total: MoneyTotal
    gross_total: MoneyTotal
    paid_total: MoneyTotal
    open_amount: MoneyTotal
    status: SalesInvoiceStatus
    reason: str
    journal_entry_id: int
    totals: list[RateTotalRead]
    lines: list[SalesInvoiceLineRead]
    payments: list[CustomerPaymentRead]
