"""Stock master data: articles and warehouses (movements are in ``erp.stock.ledger``).

Every function runs inside the caller's transaction and never commits; a refused operation
raises a DomainError and leaves nothing behind (the request's transaction is rolled back).
Every change of master data is in the audit trail.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, exists, func, or_, select
from sqlalchemy.orm import Session

from erp import audit
from erp.auth.models import User
from erp.errors import Conflict, DomainError, NotFound
from erp.stock import rules
from erp.stock.models import Article, StockMovement, Warehouse
from erp.text_search import contains_any_case
from erp.timeutil import utcnow

ARTICLE_FIELDS = frozenset(
    {"sku", "name", "unit", "sales_price", "purchase_price", "vat_rate", "active"}
)
WAREHOUSE_FIELDS = frozenset({"code", "name", "active"})


class ArticleNotFound(NotFound):
    slug = "article-not-found"


class WarehouseNotFound(NotFound):
    slug = "warehouse-not-found"


class SkuTaken(Conflict):
    slug = "sku-taken"


class WarehouseCodeTaken(Conflict):
    slug = "warehouse-code-taken"


class UnitInUse(Conflict):
    """Quantities in the ledger are counted in the unit: it cannot change under them."""

    slug = "unit-in-use"


class InvalidMasterData(DomainError):
    status, title, slug = 422, "Invalid master data", "invalid-master-data"


def _check_article(values: dict[str, Any]) -> None:
    unknown = set(values) - ARTICLE_FIELDS
    if unknown:
        raise InvalidMasterData(f"unknown article fields: {', '.join(sorted(unknown))}")
    if "sku" in values and not re.fullmatch(rules.SKU_PATTERN, values["sku"]):
        raise InvalidMasterData(f"an SKU matches {rules.SKU_PATTERN}")
    if "vat_rate" in values and values["vat_rate"] not in rules.VAT_RATES:
        raise InvalidMasterData(f"the VAT rate is one of {rules.VAT_RATES}")
    for price in ("sales_price", "purchase_price"):
        if price in values:
            try:
                rules.check_cost(values[price])
            except rules.InvalidMovement as exc:
                raise InvalidMasterData(f"{price}: {exc.detail}") from exc


def _check_warehouse(values: dict[str, Any]) -> None:
    unknown = set(values) - WAREHOUSE_FIELDS
    if unknown:
        raise InvalidMasterData(f"unknown warehouse fields: {', '.join(sorted(unknown))}")
    if "code" in values and not re.fullmatch(rules.WAREHOUSE_CODE_PATTERN, values["code"]):
        raise InvalidMasterData(f"a warehouse code matches {rules.WAREHOUSE_CODE_PATTERN}")


# articles ------------------------------------------------------------------------------
def get_article(session: Session, article_id: int) -> Article:
    article = session.get(Article, article_id)
    if article is None:
        raise ArticleNotFound(f"article {article_id} does not exist")
    return article


def article_by_sku(session: Session, sku: str) -> Article | None:
    return session.scalar(select(Article).where(Article.sku == sku))


def create_article(session: Session, *, actor: User, values: dict[str, Any]) -> Article:
    """A new article: sku, name, unit, sales_price, purchase_price, vat_rate (19 | 7)."""
    _check_article(values)
    if article_by_sku(session, values["sku"]) is not None:
        raise SkuTaken(f"the SKU {values['sku']} is taken")
    article = Article(**values, created_by_id=actor.id, updated_by_id=actor.id)
    session.add(article)
    session.flush()
    audit.record(
        session,
        entity="article",
        entity_id=article.id,
        action="created",
        user_id=actor.id,
        changes=values,
    )
    return article


def update_article(
    session: Session, *, article_id: int, actor: User, values: dict[str, Any]
) -> Article:
    """Change the fields given; the unit only while no movement counts in it."""
    _check_article(values)
    article = get_article(session, article_id)
    if values.get("sku", article.sku) != article.sku and article_by_sku(session, values["sku"]):
        raise SkuTaken(f"the SKU {values['sku']} is taken")
    if values.get("unit", article.unit) != article.unit and session.scalar(
        select(exists().where(StockMovement.article_id == article_id))
    ):
        raise UnitInUse(f"article {article.sku} has stock movements in {article.unit}")
    changes = audit.apply_changes(article, values)
    if changes:
        article.updated_at, article.updated_by_id = utcnow(), actor.id
        session.flush()
        audit.record(
            session,
            entity="article",
            entity_id=article.id,
            action="updated",
            user_id=actor.id,
            changes=changes,
        )
    return article


def list_articles(
    session: Session,
    *,
    limit: int,
    offset: int,
    query: str | None = None,
    active: bool | None = None,
) -> tuple[list[Article], int]:
    """Articles whose SKU or name contains ``query`` (any case), ordered by SKU."""
    stmt = select(Article)
    if query:
        pattern = f"%{query.lower()}%"
        conditions: list[ColumnElement[bool]] = [
            contains_any_case(Article.sku, pattern),
            contains_any_case(Article.name, pattern),
        ]
        stmt = stmt.where(or_(*conditions))
    if active is not None:
        stmt = stmt.where(Article.active.is_(active))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(Article.sku).limit(limit).offset(offset))
    return list(rows), total


# warehouses ----------------------------------------------------------------------------
def get_warehouse(session: Session, warehouse_id: int) -> Warehouse:
    warehouse = session.get(Warehouse, warehouse_id)
    if warehouse is None:
        raise WarehouseNotFound(f"warehouse {warehouse_id} does not exist")
    return warehouse


def create_warehouse(session: Session, *, actor: User, values: dict[str, Any]) -> Warehouse:
    """A new warehouse: code (unique), name."""
    _check_warehouse(values)
    if session.scalar(select(Warehouse).where(Warehouse.code == values["code"])) is not None:
        raise WarehouseCodeTaken(f"the warehouse code {values['code']} is taken")
    warehouse = Warehouse(**values, created_by_id=actor.id)
    session.add(warehouse)
    session.flush()
    audit.record(
        session,
        entity="warehouse",
        entity_id=warehouse.id,
        action="created",
        user_id=actor.id,
        changes=values,
    )
    return warehouse


def update_warehouse(
    session: Session, *, warehouse_id: int, actor: User, values: dict[str, Any]
) -> Warehouse:
    _check_warehouse(values)
    warehouse = get_warehouse(session, warehouse_id)
    code = values.get("code", warehouse.code)
    if code != warehouse.code and session.scalar(select(Warehouse).where(Warehouse.code == code)):
        raise WarehouseCodeTaken(f"the warehouse code {code} is taken")
    changes = audit.apply_changes(warehouse, values)
    if changes:
        session.flush()
        audit.record(
            session,
            entity="warehouse",
            entity_id=warehouse.id,
            action="updated",
            user_id=actor.id,
            changes=changes,
        )
    return warehouse


def list_warehouses(session: Session, *, active: bool | None = None) -> list[Warehouse]:
    stmt = select(Warehouse).order_by(Warehouse.code)
    if active is not None:
        stmt = stmt.where(Warehouse.active.is_(active))
    return list(session.scalars(stmt))
