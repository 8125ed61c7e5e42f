"""Stock tables.

Quantities are whole numbers of the article's ``unit`` (12 "Stk", 5 "kg"): an article sold by
the gram gets the unit "g". Costs and prices are net Decimals stored as integer cents.

``stock_movement`` is an append-only ledger (the service never changes a row, and database
triggers refuse UPDATE and DELETE); ``stock_level`` is its running total per article and
warehouse, written in the same transaction: the ledger always sums to the level.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, Enum, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from erp.db import Base
from erp.timeutil import utcnow


def _enum(kind: type[StrEnum], length: int = 20) -> Enum:
    return Enum(kind, native_enum=False, length=length, create_constraint=True)


class MovementKind(StrEnum):
    receipt = "receipt"  # Wareneingang: +
    issue = "issue"  # Warenausgang: −
    transfer_out = "transfer_out"  # Umlagerung, abgebendes Lager: −
    transfer_in = "transfer_in"  # Umlagerung, aufnehmendes Lager: +
    adjustment = "adjustment"  # Inventurdifferenz: + or −, with a reason


class Article(Base):
    __tablename__ = "article"
    __table_args__ = (
        CheckConstraint("vat_rate IN (19, 7)", name="vat_rate"),
        CheckConstraint("sales_price >= 0 AND purchase_price >= 0", name="prices_not_negative"),
        Index("ix_article_name", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(40), unique=True)  # Artikelnummer
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(10))  # quantities are whole numbers of it
    sales_price: Mapped[Decimal]  # net
    purchase_price: Mapped[Decimal]  # net, the list price of the usual supplier
    vat_rate: Mapped[int]  # percent: 19 (USt19 / VSt19) or 7 (USt7 / VSt7)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    @property
    def sales_tax_code(self) -> str:
        return f"USt{self.vat_rate}"

    @property
    def purchase_tax_code(self) -> str:
        return f"VSt{self.vat_rate}"


class Warehouse(Base):
    __tablename__ = "warehouse"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class StockMovement(Base):
    """One line of the stock ledger; never changed, never deleted."""

    __tablename__ = "stock_movement"
    __table_args__ = (
        CheckConstraint("quantity <> 0", name="quantity_not_zero"),
        CheckConstraint(
            "(kind IN ('receipt', 'transfer_in') AND quantity > 0)"
            " OR (kind IN ('issue', 'transfer_out') AND quantity < 0)"
            " OR kind = 'adjustment'",
            name="sign_matches_kind",
        ),
        CheckConstraint("kind <> 'adjustment' OR reason <> ''", name="adjustment_has_reason"),
        CheckConstraint("unit_cost >= 0", name="unit_cost_not_negative"),
        Index("ix_stock_movement_article_warehouse", "article_id", "warehouse_id"),
        Index("ix_stock_movement_warehouse", "warehouse_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("article.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    kind: Mapped[MovementKind] = mapped_column(_enum(MovementKind))
    quantity: Mapped[int]  # signed: + into the warehouse, − out of it
    # Receipts: the purchase cost per unit; everything else: the moving average at the time.
    unit_cost: Mapped[Decimal]
    reason: Mapped[str] = mapped_column(String(200), default="")  # required for adjustments
    reference: Mapped[str] = mapped_column(String(36), default="")  # document, e.g. WE-00042
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class StockLevel(Base):
    """What is in a warehouse: on hand, reserved for orders, and its moving average cost."""

    __tablename__ = "stock_level"
    __table_args__ = (
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        CheckConstraint("reserved <= on_hand", name="reserved_within_on_hand"),
        CheckConstraint("average_cost >= 0", name="average_cost_not_negative"),
        Index("ix_stock_level_warehouse", "warehouse_id"),
    )

    article_id: Mapped[int] = mapped_column(ForeignKey("article.id"), primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"), primary_key=True)
    on_hand: Mapped[int] = mapped_column(default=0)
    reserved: Mapped[int] = mapped_column(default=0)
    average_cost: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))  # gleitender Ø
