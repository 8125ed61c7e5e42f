"""Sales tables: orders, deliveries, outgoing invoices (and their corrections), payments.

Documents get gapless numbers per kind and year when they are issued. An invoice keeps a copy
of what §14(4) UStG asks it to show about both parties, so a later change to the customer
record or the company's data never changes an issued invoice.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, Enum, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from erp.db import Base
from erp.money import ZERO, round_cents
from erp.timeutil import utcnow


def _enum(kind: type[StrEnum], length: int = 20) -> Enum:
    return Enum(kind, native_enum=False, length=length, create_constraint=True)


class SalesOrderStatus(StrEnum):
    draft = "draft"
    confirmed = "confirmed"
    partially_delivered = "partially_delivered"
    delivered = "delivered"
    cancelled = "cancelled"


class InvoiceKind(StrEnum):
    invoice = "invoice"
    correction = "correction"  # Stornorechnung: the negative of the invoice it corrects


class SalesInvoiceStatus(StrEnum):
    open = "open"
    partially_paid = "partially_paid"
    paid = "paid"
    corrected = "corrected"  # reversed by a correcting invoice
    correction = "correction"  # the correcting invoice itself: nothing to pay


@dataclass(frozen=True)
class RateTotal:
    rate: int
    net: Decimal
    tax: Decimal

    @property
    def gross(self) -> Decimal:
        return self.net + self.tax


def rate_totals(nets: list[tuple[int, Decimal]]) -> list[RateTotal]:
    """VAT per rate on the net total of that rate, rounded once, half-up, to cents.

    The journal derives its tax lines the same way, so the invoice and its posting agree to
    the cent. Signs carry through: a correction's negative nets give negative tax.
    """
    net_by_rate: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for rate, net in nets:
        net_by_rate[rate] += net
    return [
        RateTotal(rate, net, round_cents(net * rate / Decimal(100)))
        for rate, net in sorted(net_by_rate.items(), reverse=True)
    ]


class SalesOrder(Base):
    __tablename__ = "sales_order"
    __table_args__ = (
        CheckConstraint("(status = 'draft') = (number IS NULL)", name="number_when_confirmed"),
        Index("ix_sales_order_customer", "customer_id"),
        Index("ix_sales_order_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(20), unique=True)  # AU2026-00001
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    status: Mapped[SalesOrderStatus] = mapped_column(
        _enum(SalesOrderStatus), default=SalesOrderStatus.draft
    )
    order_date: Mapped[date]
    requested_date: Mapped[date | None]
    customer_reference: Mapped[str] = mapped_column(String(36), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    confirmed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]

    lines: Mapped[list[SalesOrderLine]] = relationship(
        back_populates="order", order_by="SalesOrderLine.position", cascade="all, delete-orphan"
    )

    @property
    def totals(self) -> list[RateTotal]:
        return rate_totals([(li.vat_rate, li.net) for li in self.lines])

    @property
    def net_total(self) -> Decimal:
        return sum((t.net for t in self.totals), ZERO)

    @property
    def gross_total(self) -> Decimal:
        return sum((t.gross for t in self.totals), ZERO)


class SalesOrderLine(Base):
    __tablename__ = "sales_order_line"
    __table_args__ = (
        UniqueConstraint("order_id", "position", name="uq_sales_order_line_position"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price >= 0", name="price_not_negative"),
        CheckConstraint("vat_rate IN (19, 7)", name="vat_rate"),
        CheckConstraint(
            "delivered_quantity >= 0 AND cancelled_quantity >= 0"
            " AND delivered_quantity + cancelled_quantity <= quantity",
            name="delivered_within",
        ),
        CheckConstraint(
            "invoiced_quantity BETWEEN 0 AND delivered_quantity", name="invoiced_within"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id"))
    position: Mapped[int]
    article_id: Mapped[int] = mapped_column(ForeignKey("article.id"))
    quantity: Mapped[int]
    unit_price: Mapped[Decimal]  # net per unit
    vat_rate: Mapped[int]
    delivered_quantity: Mapped[int] = mapped_column(default=0)
    invoiced_quantity: Mapped[int] = mapped_column(default=0)
    cancelled_quantity: Mapped[int] = mapped_column(default=0)

    order: Mapped[SalesOrder] = relationship(back_populates="lines")

    @property
    def open_quantity(self) -> int:
        """Still to deliver (and reserved while the order is confirmed)."""
        return self.quantity - self.delivered_quantity - self.cancelled_quantity

    @property
    def net(self) -> Decimal:
        return round_cents(self.unit_price * self.quantity)


class Delivery(Base):
    __tablename__ = "delivery"
    __table_args__ = (Index("ix_delivery_order", "order_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)  # LS2026-00001
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    delivery_date: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    lines: Mapped[list[DeliveryLine]] = relationship(
        order_by="DeliveryLine.id", cascade="all, delete-orphan"
    )


class DeliveryLine(Base):
    __tablename__ = "delivery_line"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("delivery.id"))
    order_line_id: Mapped[int] = mapped_column(ForeignKey("sales_order_line.id"))
    quantity: Mapped[int]
    movement_id: Mapped[int] = mapped_column(ForeignKey("stock_movement.id"))


class OutgoingInvoice(Base):
    __tablename__ = "outgoing_invoice"
    __table_args__ = (
        CheckConstraint("gross_total = net_total + tax_total", name="gross_is_net_plus_tax"),
        CheckConstraint(
            "(kind = 'invoice' AND corrects_id IS NULL AND net_total >= 0"
            " AND paid_total BETWEEN 0 AND gross_total)"
            " OR (kind = 'correction' AND corrects_id IS NOT NULL AND net_total <= 0"
            " AND paid_total = 0)",
            name="kind_consistent",
        ),
        Index("ix_outgoing_invoice_customer", "customer_id"),
        Index("ix_outgoing_invoice_status_due", "status", "due_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)  # RE2026-00001
    kind: Mapped[InvoiceKind] = mapped_column(_enum(InvoiceKind), default=InvoiceKind.invoice)
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("outgoing_invoice.id"), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    # §14(4) UStG: the recipient as invoiced
    customer_number: Mapped[str] = mapped_column(String(12))
    customer_name: Mapped[str] = mapped_column(String(200))
    customer_street: Mapped[str] = mapped_column(String(200))
    customer_postal_code: Mapped[str] = mapped_column(String(10))
    customer_city: Mapped[str] = mapped_column(String(100))
    customer_country: Mapped[str] = mapped_column(String(2))
    customer_vat_id: Mapped[str | None] = mapped_column(String(14))
    # §14(4) UStG: the supplier as invoiced (the company's data may change later)
    seller_name: Mapped[str] = mapped_column(String(120))
    seller_street: Mapped[str] = mapped_column(String(120))
    seller_postal_code: Mapped[str] = mapped_column(String(10))
    seller_city: Mapped[str] = mapped_column(String(80))
    seller_country: Mapped[str] = mapped_column(String(2))
    seller_tax_number: Mapped[str] = mapped_column(String(20))
    seller_vat_id: Mapped[str | None] = mapped_column(String(14))
    invoice_date: Mapped[date]
    service_date: Mapped[date]  # Leistungsdatum
    due_date: Mapped[date]
    net_total: Mapped[Decimal]
    tax_total: Mapped[Decimal]
    gross_total: Mapped[Decimal]
    paid_total: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    status: Mapped[SalesInvoiceStatus] = mapped_column(
        _enum(SalesInvoiceStatus), default=SalesInvoiceStatus.open
    )
    reason: Mapped[str] = mapped_column(String(200), default="")  # why it was corrected
    journal_entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entry.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    lines: Mapped[list[OutgoingInvoiceLine]] = relationship(
        order_by="OutgoingInvoiceLine.position", cascade="all, delete-orphan"
    )
    payments: Mapped[list[CustomerPayment]] = relationship(order_by="CustomerPayment.id")

    @property
    def totals(self) -> list[RateTotal]:
        return rate_totals([(li.vat_rate, li.net) for li in self.lines])

    @property
    def open_amount(self) -> Decimal:
        if self.kind is InvoiceKind.correction or self.status is SalesInvoiceStatus.corrected:
            return ZERO
        return self.gross_total - self.paid_total


class OutgoingInvoiceLine(Base):
    __tablename__ = "outgoing_invoice_line"
    __table_args__ = (
        UniqueConstraint("invoice_id", "position", name="uq_outgoing_invoice_line_position"),
        CheckConstraint("quantity <> 0", name="quantity_not_zero"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("outgoing_invoice.id"))
    position: Mapped[int]
    order_line_id: Mapped[int] = mapped_column(ForeignKey("sales_order_line.id"))
    article_id: Mapped[int] = mapped_column(ForeignKey("article.id"))
    sku: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(10))
    quantity: Mapped[int]  # negative on a correction
    unit_price: Mapped[Decimal]
    vat_rate: Mapped[int]
    net: Mapped[Decimal]


class CustomerPayment(Base):
    __tablename__ = "customer_payment"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)  # ZE2026-00001
    invoice_id: Mapped[int] = mapped_column(ForeignKey("outgoing_invoice.id"), index=True)
    amount: Mapped[Decimal]
    payment_date: Mapped[date]
    journal_entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entry.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
