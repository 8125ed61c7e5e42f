"""CRM tables."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from erp.db import Base
from erp.timeutil import utcnow


def _enum(kind: type[StrEnum], length: int = 20) -> Enum:
    return Enum(kind, native_enum=False, length=length, create_constraint=True)


class Stage(StrEnum):
    lead = "lead"
    qualified = "qualified"
    proposal = "proposal"
    won = "won"
    lost = "lost"


class ActivityKind(StrEnum):
    call = "call"
    meeting = "meeting"
    task = "task"
    note = "note"


class Tracked:
    """Creation and change stamps; the details of every change are in the audit log."""

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    archived_at: Mapped[datetime | None]

    @property
    def archived(self) -> bool:
        return self.archived_at is not None


class Customer(Tracked, Base):
    __tablename__ = "customer"
    __table_args__ = (
        CheckConstraint("debitor_account BETWEEN 10000 AND 69999", name="debitor_range"),
        CheckConstraint("payment_terms_days BETWEEN 0 AND 365", name="payment_terms"),
        CheckConstraint("credit_limit >= 0", name="credit_limit_not_negative"),
        Index("ix_customer_name", "name"),
        # The default list: active customers by name — its page and its count from the index.
        Index("ix_customer_listing", "archived_at", "name", "number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(12), unique=True)
    debitor_account: Mapped[int] = mapped_column(unique=True)
    name: Mapped[str] = mapped_column(String(200))
    street: Mapped[str] = mapped_column(String(200), default="")
    postal_code: Mapped[str] = mapped_column(String(10), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    country: Mapped[str] = mapped_column(String(2), default="DE")
    vat_id: Mapped[str | None] = mapped_column(String(14))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    payment_terms_days: Mapped[int] = mapped_column(default=14)
    credit_limit: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))

    contacts: Mapped[list[Contact]] = relationship(
        back_populates="customer", order_by="Contact.name", lazy="raise"
    )


class Contact(Tracked, Base):
    __tablename__ = "contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(100), default="")
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))

    customer: Mapped[Customer] = relationship(back_populates="contacts", lazy="raise")


class Opportunity(Tracked, Base):
    __tablename__ = "opportunity"
    __table_args__ = (
        CheckConstraint("probability BETWEEN 0 AND 100", name="probability_range"),
        CheckConstraint("expected_revenue >= 0", name="revenue_not_negative"),
        CheckConstraint("stage <> 'lost' OR lost_reason IS NOT NULL", name="lost_needs_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    stage: Mapped[Stage] = mapped_column(_enum(Stage), default=Stage.lead, index=True)
    probability: Mapped[int]
    expected_revenue: Mapped[Decimal]
    owner_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    close_date: Mapped[date | None]
    lost_reason: Mapped[str | None] = mapped_column(Text)


class Activity(Tracked, Base):
    __tablename__ = "activity"
    __table_args__ = (Index("ix_activity_owner_open", "owner_id", "done", "due_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ActivityKind] = mapped_column(_enum(ActivityKind))
    subject: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str] = mapped_column(Text, default="")
    due_date: Mapped[date | None]
    owner_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    done: Mapped[bool] = mapped_column(default=False)
    done_at: Mapped[datetime | None]
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    opportunity_id: Mapped[int | None] = mapped_column(ForeignKey("opportunity.id"), index=True)
