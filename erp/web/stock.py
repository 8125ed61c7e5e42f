"""Warenwirtschaft pages: articles, warehouses, stock levels, the stock ledger, and the two
manual movements: a receipt without an order (opening stock) and an inventory count.

Warehouse staff and admins keep the stock; accounting reads articles and levels (as in the
API, the ledger and the warehouses are the warehouse's).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from erp.auth.models import Role, User
from erp.deps import DbSession
from erp.errors import DomainError
from erp.money import ZERO
from erp.schemas import MAX_ID, ObjectId
from erp.stock import ledger, queries, service
from erp.stock.models import Article, Warehouse
from erp.stock.schemas import AdjustToCount, ArticleCreate, WarehouseCreate
from erp.stock.schemas import ReceiptCreate as StockReceipt
from erp.timeutil import BERLIN
from erp.web.fibu import FormProblem, form_fields
from erp.web.forms import PostedForm, errors_by_field, int_input, money_input
from erp.web.security import CsrfChecked, WebAllow
from erp.web.templating import render

router = APIRouter(include_in_schema=False)
StockReader = Annotated[User, Depends(WebAllow(Role.admin, Role.warehouse, Role.accounting))]
StockKeeper = Annotated[User, Depends(WebAllow(Role.admin, Role.warehouse))]
KEEPERS = frozenset({Role.admin, Role.warehouse})
PAGE_SIZE = 20
IdFilter = Annotated[int | None, Query(ge=1, le=MAX_ID)]
Offset = Annotated[int, Query(ge=0, le=MAX_ID)]
ARTICLE_NOTICES = {
    "created": "The article is created.",
    "received": "The receipt is booked: the stock went up.",
    "adjusted": "The inventory difference is booked.",
}
M = TypeVar("M", bound=BaseModel)
LABELS = {
    "warehouse_id": "Warehouse",
    "quantity": "Quantity",
    "unit_cost": "Unit cost",
    "reference": "Reference",
    "counted": "Counted",
    "reason": "Reason",
    "receipt_date": "Receipt date",
    "supplier_reference": "Supplier's invoice number",
    "invoice_date": "Invoice date",
    "service_date": "Service date",
    "due_date": "Due date",
    "amount": "Amount",
    "payment_date": "Payment date",
}


def validated(model: type[M], data: dict[str, Any]) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise FormProblem(errors_by_field(exc)) from exc


def money(raw: str) -> str:
    """An amount typed the German way ("1.234,50") as the API's "1234.50"."""
    try:
        return money_input(raw)
    except ArithmeticError:  # beyond Decimal's precision: left for the schema to refuse
        return raw


def in_words(errors: dict[str, str]) -> str:
    """Field errors as one message for a small form: "Quantity: Enter …; Reference: …"."""
    return "; ".join(f"{LABELS.get(k, k.replace('_', ' '))}: {v}" for k, v in errors.items())


@dataclass(frozen=True)
class Shown:
    """What a record page shows besides the record: a notice, or a refused form (its name,
    the message next to it, what was typed) answered with the refusal's status."""

    notice: str | None = None
    failed: str | None = None
    problem: str | None = None
    values: dict[str, str] = field(default_factory=dict)
    status: int = 200

    def context(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("notice", "failed", "problem", "values")}


def run_form(db: Session, book: Callable[[], object], name: str, values: dict[str, str]) -> Shown:
    """Book in a savepoint: a refusal leaves nothing behind and is shown next to its form."""
    try:
        with db.begin_nested():
            book()
    except FormProblem as exc:
        return Shown(failed=name, problem=in_words(exc.errors), values=values, status=422)
    except DomainError as exc:
        return Shown(failed=name, problem=exc.detail, values=values, status=exc.status)
    return Shown()


def names_of(db: Session, article_ids: set[int]) -> dict[int, Article]:
    if not article_ids:
        return {}
    return {a.id: a for a in db.scalars(select(Article).where(Article.id.in_(article_ids)))}


def warehouse_codes(db: Session) -> dict[int, str]:
    return dict(db.execute(select(Warehouse.id, Warehouse.code)).all())


# articles ------------------------------------------------------------------------------
@router.get("/articles")
def articles_page(
    request: Request,
    db: DbSession,
    user: StockReader,
    q: Annotated[str | None, Query(max_length=100)] = None,
    offset: Offset = 0,
) -> Response:
    articles, total = service.list_articles(db, limit=PAGE_SIZE, offset=offset, query=q)
    on_hand: dict[int, int] = {}
    for level in queries.levels(db):
        on_hand[level.article_id] = on_hand.get(level.article_id, 0) + level.on_hand
    context = {
        "articles": articles,
        "on_hand": on_hand,
        "total": total,
        "q": q or "",
        "offset": offset,
        "page_size": PAGE_SIZE,
        "can_write": bool(user.roles & KEEPERS),
    }
    return render(request, "stock_articles.html", context, user=user)


def _article_form(
    request: Request, user: User, values: dict[str, str], errors: dict[str, str], status: int
) -> Response:
    context = {"values": values, "errors": errors}
    return render(request, "stock_article_form.html", context, user=user, status_code=status)


@router.get("/articles/new")
def new_article_page(request: Request, user: StockKeeper) -> Response:
    values = {"unit": "Stk", "vat_rate": "19", "purchase_price": "0,00"}
    return _article_form(request, user, values, {}, 200)


@router.post("/articles/new", dependencies=[CsrfChecked])
def create_article(
    request: Request, db: DbSession, user: StockKeeper, form: PostedForm
) -> Response:
    values = form_fields(form)
    data = {
        "sku": values.get("sku", "").upper(),
        "name": values.get("name", ""),
        "unit": values.get("unit", "") or "Stk",
        "sales_price": money(values.get("sales_price", "")),
        "purchase_price": money(values.get("purchase_price", "") or "0"),
        "vat_rate": int_input(values.get("vat_rate", "") or "19"),
    }
    try:
        body = validated(ArticleCreate, data)
        with db.begin_nested():
            article = service.create_article(db, actor=user, values=dict(body))
    except FormProblem as exc:
        return _article_form(request, user, values, exc.errors, 422)
    except DomainError as exc:
        return _article_form(request, user, values, {"sku": exc.detail}, exc.status)
    return RedirectResponse(f"/articles/{article.id}?done=created", status_code=303)


def _article_page(
    request: Request, db: Session, user: User, article_id: int, shown: Shown
) -> Response:
    article = service.get_article(db, article_id)
    levels = queries.levels(db, article_id=article_id)
    keeper = bool(user.roles & KEEPERS)
    context: dict[str, Any] = {
        "article": article,
        "levels": levels,
        "on_hand": sum(level.on_hand for level in levels),
        "value": sum((level.value for level in levels), ZERO),
        "keeper": keeper,
        **shown.context(),
        "default_cost": f"{article.purchase_price:.2f}".replace(".", ","),
    }
    if keeper:
        movements, total = queries.movements(db, limit=PAGE_SIZE, offset=0, article_id=article_id)
        context |= {
            "movements": movements,
            "movement_total": total,
            "codes": warehouse_codes(db),
            "warehouses": service.list_warehouses(db, active=True),
            "zone": BERLIN,
        }
    return render(request, "stock_article.html", context, user=user, status_code=shown.status)


@router.get("/articles/{article_id}")
def article_page(
    article_id: ObjectId,
    request: Request,
    db: DbSession,
    user: StockReader,
    done: Literal["created", "received", "adjusted"] | None = None,
) -> Response:
    shown = Shown(notice=ARTICLE_NOTICES.get(done or ""))
    return _article_page(request, db, user, article_id, shown)


@router.post("/articles/{article_id}/receipts", dependencies=[CsrfChecked])
def receive_stock(
    article_id: ObjectId, request: Request, db: DbSession, user: StockKeeper, form: PostedForm
) -> Response:
    """Wareneingang without an order, e.g. opening stock (Anfangsbestand)."""
    article = service.get_article(db, article_id)
    values = form_fields(form)

    def book() -> None:
        cost = values.get("unit_cost", "")
        body = validated(
            StockReceipt,
            {
                "article_id": article_id,
                "warehouse_id": int_input(values.get("warehouse_id", "")),
                "quantity": int_input(values.get("quantity", "")),
                "unit_cost": money(cost) if cost else None,
                "reference": values.get("reference", ""),
            },
        )
        unit_cost = article.purchase_price if body.unit_cost is None else body.unit_cost
        ledger.receive(
            db, **body.model_dump(exclude={"unit_cost"}), unit_cost=unit_cost, actor=user
        )

    shown = run_form(db, book, "receipt", values)
    if shown.failed:
        return _article_page(request, db, user, article_id, shown)
    return RedirectResponse(f"/articles/{article_id}?done=received", status_code=303)


@router.post("/articles/{article_id}/adjustments", dependencies=[CsrfChecked])
def adjust_stock(
    article_id: ObjectId, request: Request, db: DbSession, user: StockKeeper, form: PostedForm
) -> Response:
    """Inventur: the stock on hand becomes the counted quantity, with a reason."""
    service.get_article(db, article_id)
    values = form_fields(form)

    def book() -> None:
        body = validated(
            AdjustToCount,
            {
                "article_id": article_id,
                "warehouse_id": int_input(values.get("warehouse_id", "")),
                "counted": int_input(values.get("counted", "")),
                "reason": values.get("reason", ""),
                "reference": values.get("reference", ""),
            },
        )
        ledger.adjust(db, **body.model_dump(), actor=user)

    shown = run_form(db, book, "count", values)
    if shown.failed:
        return _article_page(request, db, user, article_id, shown)
    return RedirectResponse(f"/articles/{article_id}?done=adjusted", status_code=303)


# levels, the ledger, warehouses --------------------------------------------------------
@router.get("/stock")
def levels_page(
    request: Request, db: DbSession, user: StockReader, warehouse_id: IdFilter = None
) -> Response:
    levels = queries.levels(db, warehouse_id=warehouse_id)
    context = {
        "levels": levels,
        "articles": names_of(db, {level.article_id for level in levels}),
        "total": sum((level.value for level in levels), ZERO),
        "warehouses": service.list_warehouses(db),
        "warehouse_id": warehouse_id,
    }
    return render(request, "stock_levels.html", context, user=user)


@router.get("/stock/movements")
def movements_page(
    request: Request,
    db: DbSession,
    user: StockKeeper,
    article_id: IdFilter = None,
    warehouse_id: IdFilter = None,
    offset: Offset = 0,
) -> Response:
    movements, total = queries.movements(
        db, limit=PAGE_SIZE, offset=offset, article_id=article_id, warehouse_id=warehouse_id
    )
    context = {
        "movements": movements,
        "total": total,
        "articles": names_of(db, {m.article_id for m in movements}),
        "codes": warehouse_codes(db),
        "warehouses": service.list_warehouses(db),
        "filters": {"article_id": article_id or "", "warehouse_id": warehouse_id or ""},
        "offset": offset,
        "page_size": PAGE_SIZE,
        "zone": BERLIN,
    }
    return render(request, "stock_movements.html", context, user=user)


def _warehouses(
    request: Request,
    db: Session,
    user: User,
    *,
    notice: str | None = None,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "warehouses": service.list_warehouses(db),
        "notice": notice,
        "values": values or {},
        "errors": errors or {},
    }
    return render(request, "stock_warehouses.html", context, user=user, status_code=status_code)


@router.get("/warehouses")
def warehouses_page(
    request: Request, db: DbSession, user: StockKeeper, done: Literal["created"] | None = None
) -> Response:
    return _warehouses(request, db, user, notice="The warehouse is created." if done else None)


@router.post("/warehouses", dependencies=[CsrfChecked])
def create_warehouse(
    request: Request, db: DbSession, user: StockKeeper, form: PostedForm
) -> Response:
    values = form_fields(form)
    data = {"code": values.get("code", "").upper(), "name": values.get("name", "")}
    try:
        body = validated(WarehouseCreate, data)
        with db.begin_nested():
            service.create_warehouse(db, actor=user, values=body.model_dump())
    except FormProblem as exc:
        return _warehouses(request, db, user, values=values, errors=exc.errors, status_code=422)
    except DomainError as exc:
        errors = {"code": exc.detail}
        return _warehouses(request, db, user, values=values, errors=errors, status_code=exc.status)
    return RedirectResponse("/warehouses?done=created", status_code=303)
