"""Sales orders: draft → confirmed (stock reserved, credit checked) → delivered, or cancelled.

Each function runs in the caller's transaction: a confirmation's reservations, its number and
its status are written together or not at all.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from erp import audit
from erp.auth.models import User
from erp.crm import service as crm
from erp.crm.models import Customer
from erp.errors import Conflict, DomainError, NotFound
from erp.fibu.models import JournalEntry, JournalLine
from erp.fibu.reports import NET, POSTED
from erp.money import MAX_LINE_NET, ZERO
from erp.sales.models import SalesOrder, SalesOrderLine, SalesOrderStatus, rate_totals
from erp.sequences import document_number
from erp.stock import ledger
from erp.stock import service as stock
from erp.stock.models import Article
from erp.timeutil import utcnow

OPEN = (SalesOrderStatus.confirmed, SalesOrderStatus.partially_delivered)


class OrderNotFound(NotFound):
    slug = "sales-order-not-found"


class OrderState(Conflict):
    slug = "sales-order-state"


class CreditLimitExceeded(Conflict):
    slug = "credit-limit-exceeded"


class InvalidOrder(DomainError):
    status, title, slug = 422, "Invalid sales order", "invalid-sales-order"


# One statement for the order and its lines (selectinload takes two).
_WITH_LINES = [joinedload(SalesOrder.lines)]
_ARTICLES = select(Article).where(Article.id.in_(bindparam("ids", expanding=True)))


def get_order(session: Session, order_id: int) -> SalesOrder:
    order = session.get(SalesOrder, order_id, options=_WITH_LINES)
    if order is None:
        raise OrderNotFound(f"sales order {order_id} does not exist")
    return order


def create_order(session: Session, *, actor: User, values: dict[str, Any]) -> SalesOrder:
    """A draft order; each line's price defaults to the article's sales price."""
    crm.active_customer(session, customer_id=values["customer_id"])
    warehouse = stock.get_warehouse(session, values["warehouse_id"])
    if not warehouse.active:
        raise InvalidOrder(f"warehouse {warehouse.code} is inactive")
    order = SalesOrder(
        customer_id=values["customer_id"],
        warehouse_id=warehouse.id,
        order_date=values["order_date"],
        requested_date=values.get("requested_date"),
        customer_reference=values.get("customer_reference") or "",
        created_by_id=actor.id,
    )
    # The order's articles in one statement, not one per line.
    ids = {raw["article_id"] for raw in values["lines"]}
    found = {a.id: a for a in session.scalars(_ARTICLES, {"ids": list(ids)})}
    articles = set()
    for position, raw in enumerate(values["lines"], start=1):
        article = found.get(raw["article_id"])
        if article is None:
            raise stock.ArticleNotFound(f"article {raw['article_id']} does not exist")
        if not article.active:
            raise InvalidOrder(f"line {position}: article {article.sku} is inactive")
        if article.id in articles:
            raise InvalidOrder(f"line {position}: article {article.sku} is on the order twice")
        articles.add(article.id)
        price = article.sales_price if raw.get("unit_price") is None else raw["unit_price"]
        if price * raw["quantity"] > MAX_LINE_NET:
            raise InvalidOrder(f"line {position}: the line's net exceeds {MAX_LINE_NET}")
        order.lines.append(
            SalesOrderLine(
                position=position,
                article_id=article.id,
                quantity=raw["quantity"],
                unit_price=price,
                vat_rate=article.vat_rate,
            )
        )
    session.add(order)
    session.flush()
    audit.record(
        session, entity="sales_order", entity_id=order.id, action="created", user_id=actor.id
    )
    return order


# Built once (credit is checked on every confirmation): see credit_exposure.
_BALANCE = (
    select(func.sum(NET))
    .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
    .where(POSTED, JournalLine.account_number == bindparam("account"))
)
_UNINVOICED = (
    SalesOrderLine.quantity - SalesOrderLine.cancelled_quantity > SalesOrderLine.invoiced_quantity
)
_UNINVOICED_ORDERS = (
    select(SalesOrder)
    .where(
        SalesOrder.customer_id == bindparam("customer"),
        SalesOrder.status != SalesOrderStatus.draft,
    )
    .where(SalesOrder.id != bindparam("excluding"))
    .where(SalesOrder.lines.any(_UNINVOICED))
    .options(selectinload(SalesOrder.lines))
)


def credit_exposure(
    session: Session, customer: Customer, *, excluding: int | None = None
) -> Decimal:
    """What the customer owes or has on order: the Debitor's posted balance (open items) plus
    the gross value of everything ordered and not invoiced yet — open orders, and goods
    delivered (or kept after a cancellation) but not billed."""
    balance = session.scalar(_BALANCE, {"account": customer.debitor_account})
    orders = session.scalars(
        _UNINVOICED_ORDERS, {"customer": customer.id, "excluding": excluding or 0}
    )
    on_order = sum((uninvoiced_gross(o) for o in orders), ZERO)
    return (balance or ZERO) + on_order


def uninvoiced_gross(order: SalesOrder) -> Decimal:
    """Gross value of what is ordered (not cancelled) and not invoiced yet."""
    nets = [
        (li.vat_rate, li.unit_price * (li.quantity - li.cancelled_quantity - li.invoiced_quantity))
        for li in order.lines
    ]
    return sum((t.gross for t in rate_totals(nets)), ZERO)


def check_credit(session: Session, order: SalesOrder) -> None:
    """Refuse an order that would take the customer beyond the credit limit (0 = no limit)."""
    customer = crm.active_customer(session, customer_id=order.customer_id)
    if customer.credit_limit == 0:
        return
    exposure = credit_exposure(session, customer, excluding=order.id)
    total = exposure + order.gross_total
    if total > customer.credit_limit:
        raise CreditLimitExceeded(
            f"customer {customer.number}: open items and orders {exposure} plus this order "
            f"{order.gross_total} exceed the credit limit {customer.credit_limit}"
        )


def confirm_order(session: Session, *, order_id: int, actor: User) -> SalesOrder:
    """draft → confirmed: credit checked, every line's quantity reserved, the order numbered."""
    order = get_order(session, order_id)
    if order.status is not SalesOrderStatus.draft:
        raise OrderState(f"order {order.number} is {order.status.value}, not a draft")
    check_credit(session, order)
    # Reserve in article order: concurrent confirmations never deadlock.
    for line in sorted(order.lines, key=lambda li: li.article_id):
        try:
            ledger.reserve(
                session,
                article_id=line.article_id,
                warehouse_id=order.warehouse_id,
                quantity=line.quantity,
            )
        except ledger.InsufficientStock as exc:
            article = stock.get_article(session, line.article_id)
            raise ledger.InsufficientStock(
                f"line {line.position}: {line.quantity} {article.unit} {article.sku} ordered, "
                f"only {exc.available} available",
                available=exc.available,
                requested=exc.requested,
            ) from exc
    order.number = document_number(session, "AU", order.order_date)
    order.status, order.confirmed_at = SalesOrderStatus.confirmed, utcnow()
    audit.record(
        session,
        entity="sales_order",
        entity_id=order.id,
        action="confirmed",
        user_id=actor.id,
        changes={"number": order.number},
    )
    return order


def cancel_order(session: Session, *, order_id: int, actor: User) -> SalesOrder:
    """Cancel what is not delivered yet and release its reservation. What was delivered stays
    delivered (and can still be invoiced)."""
    order = get_order(session, order_id)
    if order.status not in OPEN:
        raise OrderState(
            f"order {order.number or order.id} is {order.status.value}: nothing to cancel"
        )
    for line in sorted(order.lines, key=lambda li: li.article_id):
        if line.open_quantity:
            ledger.release(
                session,
                article_id=line.article_id,
                warehouse_id=order.warehouse_id,
                quantity=line.open_quantity,
            )
            line.cancelled_quantity += line.open_quantity
    order.status, order.cancelled_at = SalesOrderStatus.cancelled, utcnow()
    audit.record(
        session, entity="sales_order", entity_id=order.id, action="cancelled", user_id=actor.id
    )
    return order


def delete_draft(session: Session, *, order_id: int, actor: User) -> None:
    order = get_order(session, order_id)
    if order.status is not SalesOrderStatus.draft:
        raise OrderState(f"order {order.number} is {order.status.value}: only drafts are deleted")
    session.delete(order)
    session.flush()
    audit.record(
        session, entity="sales_order", entity_id=order_id, action="deleted", user_id=actor.id
    )


def list_orders(
    session: Session,
    *,
    limit: int,
    offset: int,
    status: SalesOrderStatus | None = None,
    customer_id: int | None = None,
    billable: bool | None = None,
    oldest_first: bool = False,
) -> tuple[list[SalesOrder], int]:
    stmt = select(SalesOrder)
    if billable is not None:
        delivered_not_billed = SalesOrder.lines.any(
            SalesOrderLine.delivered_quantity > SalesOrderLine.invoiced_quantity
        )
        stmt = stmt.where(delivered_not_billed if billable else ~delivered_not_billed)
    if status is not None:
        stmt = stmt.where(SalesOrder.status == status)
    if customer_id is not None:
        stmt = stmt.where(SalesOrder.customer_id == customer_id)
    order = SalesOrder.id.asc() if oldest_first else SalesOrder.id.desc()
    page = stmt.options(selectinload(SalesOrder.lines)).order_by(order)
    rows = list(session.scalars(page.limit(limit).offset(offset)))
    if (rows and len(rows) < limit) or (not rows and offset == 0):
        return rows, offset + len(rows)  # the last page tells the total itself: no count
    return rows, session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def count_open_orders(session: Session) -> int:
    return session.scalar(select(func.count()).where(SalesOrder.status.in_(OPEN))) or 0
