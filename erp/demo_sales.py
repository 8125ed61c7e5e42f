"""Demo order-to-cash: a month of sales orders on the demo customers and articles, one at
every step — a draft, a confirmed order (stock reserved), a partly delivered one, invoices
open, partly paid and paid, a cancelled order, and an invoice corrected (Stornorechnung) and
billed anew — at both VAT rates, all through the sales services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from erp.auth import service as auth_service
from erp.auth.models import User
from erp.crm.models import Customer
from erp.sales import delivery, invoicing, service
from erp.sales.models import SalesOrder
from erp.stock.models import Article, Warehouse
from erp.timeutil import business_date


@dataclass(frozen=True)
class Staff:
    """Who does which step: sales takes orders, the warehouse ships, accounting bills."""

    sales: User
    warehouse: User
    accountant: User


@dataclass(frozen=True)
class Plan:
    customer: int  # index into the demo customers
    lines: list[tuple[str, int]]  # (SKU, quantity)
    step: str  # how far the order goes
    shipped: tuple[int, ...] = ()  # a partial delivery: quantity per line


PLANS = [
    Plan(0, [("SCHR-M8-50", 10), ("KAFF-1KG", 2)], "draft"),
    Plan(1, [("DUEB-10", 20), ("WASS-12", 5)], "confirmed"),
    Plan(2, [("KAFF-1KG", 6), ("ZUCK-1KG", 10), ("TEE-GR", 5)], "partial", (4, 10, 0)),
    Plan(3, [("BOHR-HSS-8", 5), ("HAND-L", 12), ("KAFF-1KG", 3)], "invoiced"),
    Plan(4, [("KLEB-PU", 8), ("WASS-12", 4)], "partly_paid"),
    Plan(5, [("SILI-TR", 10), ("TEE-GR", 6)], "paid"),
    Plan(6, [("HAND-L", 5), ("ZUCK-1KG", 3)], "cancelled"),
    Plan(7, [("SCHR-M8-50", 4), ("ZUCK-1KG", 8)], "corrected"),
    Plan(8, [("DUEB-10", 6), ("TEE-GR", 2)], "paid"),
]
PARTIAL_PAYMENT = Decimal("100.00")


def demo_staff(session: Session) -> Staff:
    """The demo accounts (erp.demo) that play the steps."""
    users = {}
    for role in ("sales", "warehouse", "accounting"):
        user = auth_service.find_user_by_email(session, email=f"{role}@valeo.test")
        assert user is not None, "erp.demo creates the demo users first"
        users[role] = user
    return Staff(sales=users["sales"], warehouse=users["warehouse"], accountant=users["accounting"])


def seed_sales(session: Session, *, staff: Staff) -> str:
    if session.scalar(select(func.count()).select_from(SalesOrder)):
        return "Sales demo data: exists"
    customers = list(session.scalars(select(Customer).order_by(Customer.id).limit(len(PLANS))))
    warehouse = session.scalar(select(Warehouse).where(Warehouse.code == "HL"))
    if len(customers) < len(PLANS) or warehouse is None:
        return "Sales demo data: skipped (needs the demo customers and warehouse HL)"
    articles = {a.sku: a.id for a in session.scalars(select(Article))}
    today = business_date()
    first = today.replace(day=1)
    for index, plan in enumerate(PLANS):
        start = min(first + timedelta(days=index % 5), today)
        _play(session, staff, plan, customers[plan.customer], warehouse, articles, start)
    return f"Sales demo data: {len(PLANS)} sales orders"


def _day(start: date, offset: int) -> date:
    """``offset`` days after ``start``, but never after today: the periods stay open."""
    return min(start + timedelta(days=offset), business_date())


def _play(
    session: Session,
    staff: Staff,
    plan: Plan,
    customer: Customer,
    warehouse: Warehouse,
    articles: dict[str, int],
    start: date,
) -> None:
    order = service.create_order(
        session,
        actor=staff.sales,
        values={
            "customer_id": customer.id,
            "warehouse_id": warehouse.id,
            "order_date": start,
            "customer_reference": f"BEST-{customer.number}-{plan.customer + 1}",
            "lines": [
                {"article_id": articles[sku], "quantity": quantity, "unit_price": None}
                for sku, quantity in plan.lines
            ],
        },
    )
    if plan.step == "draft":
        return
    service.confirm_order(session, order_id=order.id, actor=staff.sales)
    if plan.step == "confirmed":
        return
    if plan.step == "cancelled":
        service.cancel_order(session, order_id=order.id, actor=staff.sales)
        return
    lines = None
    if plan.shipped:
        lines = [
            {"order_line_id": line.id, "quantity": quantity}
            for line, quantity in zip(order.lines, plan.shipped, strict=True)
            if quantity
        ]
    delivery.deliver(
        session,
        order_id=order.id,
        actor=staff.warehouse,
        values={"delivery_date": _day(start, 1), "lines": lines},
    )
    if plan.step == "partial":
        return
    _bill(session, staff.accountant, order.id, plan.step, start)


def _bill(session: Session, accountant: User, order_id: int, step: str, start: date) -> None:
    day = _day(start, 2)
    values: dict[str, object] = {"invoice_date": day}
    if step == "corrected":
        values["due_date"] = day  # wrong: the customer pays on terms
    invoice = invoicing.create_invoice(session, order_id=order_id, actor=accountant, values=values)
    if step == "corrected":
        invoicing.correct_invoice(
            session,
            invoice_id=invoice.id,
            actor=accountant,
            values={"invoice_date": _day(start, 3), "reason": "Zahlungsziel falsch: sofort fällig"},
        )
        invoicing.create_invoice(
            session, order_id=order_id, actor=accountant, values={"invoice_date": _day(start, 3)}
        )
        return
    payment = {"partly_paid": PARTIAL_PAYMENT, "paid": invoice.gross_total}.get(step)
    if payment is not None:
        invoicing.book_payment(
            session,
            invoice_id=invoice.id,
            actor=accountant,
            values={"amount": payment, "payment_date": _day(start, 4)},
        )
