"""Stock API models: articles, warehouses, movements, levels, inventory value."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from erp.crm.schemas import Name
from erp.schemas import (
    JSON_INTEGER,
    MAX_ID,
    Money,
    MoneyTotal,
    PatchModel,
    ReadModel,
    StrictModel,
)
from erp.stock import rules
from erp.stock.models import MovementKind

Sku = Annotated[
    str, Field(pattern=rules.SKU_PATTERN, description="Artikelnummer: A–Z, 0–9, '.', '_', '-'")
]
WarehouseCode = Annotated[str, Field(pattern=rules.WAREHOUSE_CODE_PATTERN)]
Unit = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9ÄÖÜäöüß²³%./-]{1,10}$",
        description="Stk, kg, m, l, …: quantities are whole numbers of this unit",
    ),
]
VatRate = Annotated[
    Literal[19, 7], JSON_INTEGER, Field(description="Percent: 19 (USt19/VSt19) or 7 (USt7/VSt7)")
]
RefId = Annotated[int, Field(ge=1, le=MAX_ID), JSON_INTEGER]
Quantity = Annotated[
    int, Field(ge=1, le=rules.MAX_QUANTITY, description="Whole units of the article"), JSON_INTEGER
]
Counted = Annotated[
    int, Field(ge=0, le=rules.MAX_QUANTITY, description="The quantity counted"), JSON_INTEGER
]
Delta = Annotated[
    int,
    Field(ge=-rules.MAX_QUANTITY, le=rules.MAX_QUANTITY, description="+ found, − missing"),
    JSON_INTEGER,
]
DOCUMENT_CHARACTERS = r"^[0-9A-Za-z$%&*+\-./]*$"  # DATEV Belegfeld 1 allows these only
Reference = Annotated[
    str,
    Field(
        min_length=1,
        max_length=rules.REFERENCE_LENGTH,
        pattern=DOCUMENT_CHARACTERS,
        description="The document, e.g. a goods-receipt or delivery-note number",
    ),
]
OptionalReference = Annotated[
    str, Field(max_length=rules.REFERENCE_LENGTH, pattern=DOCUMENT_CHARACTERS)
]
Reason = Annotated[str, Field(min_length=1, max_length=rules.REASON_LENGTH, pattern=r"\S")]
Note = Annotated[str, Field(max_length=rules.REASON_LENGTH)]


class ArticleCreate(StrictModel):
    sku: Sku
    name: Name
    unit: Unit = "Stk"
    sales_price: Money = Field(description="Net")
    purchase_price: Money = Field(default="0.00", description="Net", validate_default=True)
    vat_rate: VatRate = 19


class ArticleUpdate(PatchModel):
    sku: Sku | None = None
    name: Name | None = None
    unit: Unit | None = Field(default=None, description="Only while no movement counts in it")
    sales_price: Money | None = None
    purchase_price: Money | None = None
    vat_rate: VatRate | None = None
    active: bool | None = Field(default=None, description="Inactive articles take no new stock")


class ArticleRead(ReadModel):
    id: int
    sku: str
    name: str
    unit: str
    sales_price: Money
    purchase_price: Money
    vat_rate: int
    sales_tax_code: str
    purchase_tax_code: str
    active: bool
    created_at: datetime
    updated_at: datetime


class WarehouseCreate(StrictModel):
    code: WarehouseCode
    name: Name


class WarehouseRead(ReadModel):
    id: int
    code: str
    name: str
    active: bool
    created_at: datetime


class ReceiptCreate(StrictModel):
    """A receipt without a purchase order, e.g. opening stock (Anfangsbestand)."""

    article_id: RefId
    warehouse_id: RefId
    quantity: Quantity
    unit_cost: Money | None = Field(
        default=None, description="Net cost per unit; default: the article's purchase price"
    )
    reference: Reference


class IssueCreate(StrictModel):
    article_id: RefId
    warehouse_id: RefId
    quantity: Quantity
    reference: Reference
    reason: Note = ""


class TransferCreate(StrictModel):
    article_id: RefId
    from_warehouse_id: RefId
    to_warehouse_id: RefId = Field(description="Not the same as from_warehouse_id (else 409)")
    quantity: Quantity
    reference: OptionalReference = ""
    reason: Note = ""


class AdjustToCount(StrictModel):
    """Inventory: the stock on hand becomes the counted quantity."""

    article_id: RefId
    warehouse_id: RefId
    counted: Counted
    reason: Reason
    reference: OptionalReference = ""


class AdjustByDelta(StrictModel):
    """Correction by a signed quantity (0 changes nothing: 409)."""

    article_id: RefId
    warehouse_id: RefId
    delta: Delta
    reason: Reason
    reference: OptionalReference = ""


class MovementRead(ReadModel):
    id: int
    article_id: int
    warehouse_id: int
    kind: MovementKind
    quantity: int = Field(description="Signed: + into the warehouse, − out of it")
    unit_cost: Money = Field(description="Receipts: the cost; else the moving average then")
    reason: str
    reference: str
    created_at: datetime
    created_by_id: int | None


class TransferRead(ReadModel):
    outgoing: MovementRead
    incoming: MovementRead


class LevelRead(ReadModel):
    article_id: int
    sku: str
    unit: str
    warehouse_id: int
    warehouse_code: str
    on_hand: int
    reserved: int
    available: int = Field(description="On hand − reserved")
    average_cost: Money = Field(description="Moving average cost per unit (gleitender Ø)")
    value: MoneyTotal = Field(description="On hand × average cost")


class InventoryValueRead(ReadModel):
    lines: list[LevelRead] = Field(description="Every level with stock on hand")
    total: MoneyTotal
