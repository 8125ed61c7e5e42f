"""Purchasing tables. Documents get gapless numbers per year when they are issued."""

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


class OrderStatus(StrEnum):
    draft = "draft"
    ordered = "ordered"
    partially_received = "partially_received"
    received = "received"


class InvoiceStatus(StrEnum):
    open = "open"
    partially_paid = "partially_paid"
    paid = "paid"


class Supplier(Base):
    __tablename__ = "supplier"
    __table_args__ = (
        CheckConstraint("kreditor_account BETWEEN 70000 AND 99999", name="kreditor_range"),
        CheckConstraint("payment_terms_days BETWEEN 0 AND 365", name="payment_terms"),
        Index("ix_supplier_name", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kreditor_account: Mapped[int] = mapped_column(unique=True)
    name: Mapped[str] = mapped_column(String(200))
    street: Mapped[str] = mapped_column(String(200), default="")
    postal_code: Mapped[str] = mapped_column(String(10), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    country: Mapped[str] = mapped_column(String(2), default="DE")
    vat_id: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    payment_terms_days: Mapped[int] = mapped_column(default=30)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class PurchaseOrder(Base):
    __tablename__ = "purchase_order"
    __table_args__ = (
        CheckConstraint("(status = 'draft') = (number IS NULL)", name="number_when_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(20), unique=True)  # B2026-00001
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"))
    status: Mapped[OrderStatus] = mapped_column(_enum(OrderStatus), default=OrderStatus.draft)
    order_date: Mapped[date]
    expected_date: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    ordered_at: Mapped[datetime | None]

    lines: Mapped[list[PurchaseOrderLine]] = relationship(
        back_populates="order", order_by="PurchaseOrderLine.position", cascade="all, delete-orphan"
    )


class PurchaseOrderLine(Base):
    __tablename__ = "purchase_order_line"
    __table_args__ = (
        UniqueConstraint("order_id", "position", name="uq_purchase_order_line_position"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price >= 0", name="price_not_negative"),
        CheckConstraint("received_quantity BETWEEN 0 AND quantity", name="received_within"),
        CheckConstraint(
            "invoiced_quantity BETWEEN 0 AND received_quantity", name="invoiced_within"
        ),
        CheckConstraint("vat_rate IN (19, 7)", name="vat_rate"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id"))
    position: Mapped[int]
    article_id: Mapped[int] = mapped_column(ForeignKey("article.id"))
    quantity: Mapped[int]
    unit_price: Mapped[Decimal]  # net per unit
    vat_rate: Mapped[int]
    received_quantity: Mapped[int] = mapped_column(default=0)
    invoiced_quantity: Mapped[int] = mapped_column(default=0)

    order: Mapped[PurchaseOrder] = relationship(back_populates="lines")


class GoodsReceipt(Base):
    __tablename__ = "goods_receipt"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)  # WE2026-00001
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    receipt_date: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    lines: Mapped[list[GoodsReceiptLine]] = relationship(
        order_by="GoodsReceiptLine.id", cascade="all, delete-orphan"
    )


class GoodsReceiptLine(Base):
    __tablename__ = "goods_receipt_line"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("goods_receipt.id"))
    order_line_id: Mapped[int] = mapped_column(ForeignKey("purchase_order_line.id"))
    quantity: Mapped[int]
    movement_id: Mapped[int] = mapped_column(ForeignKey("stock_movement.id"))


class IncomingInvoice(Base):
    __tablename__ = "incoming_invoice"
    __table_args__ = (
        UniqueConstraint(
            "supplier_id", "supplier_reference", name="uq_incoming_invoice_supplier_ref"
        ),
        CheckConstraint("gross_total = net_total + tax_total", name="gross_is_net_plus_tax"),
        CheckConstraint("paid_total BETWEEN 0 AND gross_total", name="paid_within"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)  # ER2026-00001
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"))
    supplier_reference: Mapped[str] = mapped_column(String(36))  # the supplier's number
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id"))
    invoice_date: Mapped[date]
    service_date: Mapped[date]
    due_date: Mapped[date]
    net_total: Mapped[Decimal]
    tax_total: Mapped[Decimal]
    gross_total: Mapped[Decimal]
    paid_total: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    status: Mapped[InvoiceStatus] = mapped_column(_enum(InvoiceStatus), default=InvoiceStatus.open)
    journal_entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entry.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    lines: Mapped[list[IncomingInvoiceLine]] = relationship(
        order_by="IncomingInvoiceLine.id", cascade="all, delete-orphan"
    )


class IncomingInvoiceLine(Base):
    __tablename__ = "incoming_invoice_line"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("incoming_invoice.id"))
    order_line_id: Mapped[int] = mapped_column(ForeignKey("purchase_order_line.id"))
    quantity: Mapped[int]
    unit_price: Mapped[Decimal]
    vat_rate: Mapped[int]
    net: Mapped[Decimal]


class SupplierPayment(Base):
    __tablename__ = "supplier_payment"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("incoming_invoice.id"))
    amount: Mapped[Decimal]
    payment_date: Mapped[date]
    journal_entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entry.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
