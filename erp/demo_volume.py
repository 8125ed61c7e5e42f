"""Volume data for load runs (``seed-demo --articles N --orders N``): articles with opening
stock, and sales orders spread over the volume customers and articles in a realistic mix of
states, every step through the services so that the books and the stock stay consistent.

The orders are seeded in batches, one transaction each: a crash keeps what was committed,
and a second run only adds the orders still missing.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from erp.auth.models import User
from erp.crm.models import Customer
from erp.db import Database
from erp.demo_sales import Staff, demo_staff
from erp.fibu import service as fibu
from erp.fibu.models import Account
from erp.sales import delivery, invoicing, service
from erp.sales.models import SalesOrder
from erp.stock import ledger
from erp.stock import service as stock
from erp.stock.models import Article, Warehouse
from erp.timeutil import business_date

SKU_PREFIX = "VOL-"  # volume articles
REFERENCE_PREFIX = "VOL-"  # the customer reference of volume orders
VOLUME_CUSTOMER = "Demo Kunde %"  # erp.demo_crm's volume customers
MAX_LINES, MAX_QUANTITY = 3, 5
HEADROOM = 500  # units per article beyond what the volume orders can take: room for load runs
KINDS = ["Schraube", "Mutter", "Scheibe", "Winkel", "Kabel", "Stecker", "Filter", "Dichtung"]
FOOD = ["Kaffee", "Tee", "Saft", "Gebäck"]  # 7 %
# How far an order goes (cumulative share of the orders): most are invoiced and paid.
STEPS = [
    (0.01, "draft"),
    (0.02, "cancelled"),
    (0.06, "confirmed"),
    (0.08, "partial"),
    (0.12, "delivered"),
    (0.34, "invoiced"),
    (0.40, "partly_paid"),
    (1.00, "paid"),
]
Progress = Callable[[str], None]


def opening_stock(articles: int, orders: int) -> int:
    """Each article is on at most ceil(3 × orders / articles) orders (see ``_lines``), each
    line for at most MAX_QUANTITY units: that much plus headroom never runs out."""
    per_article = math.ceil(MAX_LINES * orders / articles) if articles else 0
    return per_article * MAX_QUANTITY + HEADROOM


def seed_volume_articles(session: Session, *, warehouse_user: User, count: int, orders: int) -> str:
    """``count`` articles, each received into warehouse HL through the stock ledger."""
    if count <= 0:
        return "Volume articles: none asked for"
    existing = session.scalar(select(func.count()).where(Article.sku.like(f"{SKU_PREFIX}%")))
    if existing:
        return f"Volume articles: {existing} exist"
    main = session.scalar(select(Warehouse).where(Warehouse.code == "HL"))
    if main is None:
        return "Volume articles: skipped (no warehouse HL)"
    rng = random.Random(4711)  # noqa: S311  (reproducible demo data, not security)
    quantity = opening_stock(count, orders)
    reference = f"AB-{business_date().year}"
    for index in range(1, count + 1):
        food = rng.random() < 0.2
        price = Decimal(rng.randint(99, 7999)) / 100
        article = stock.create_article(
            session,
            actor=warehouse_user,
            values={
                "sku": f"{SKU_PREFIX}{index:05d}",
                "name": f"{rng.choice(FOOD if food else KINDS)} Typ {index:05d}",
                "unit": "Stk",
                "purchase_price": (price * Decimal("0.55")).quantize(Decimal("0.01")),
                "sales_price": price,
                "vat_rate": 7 if food else 19,
            },
        )
        ledger.receive(
            session,
            article_id=article.id,
            warehouse_id=main.id,
            quantity=quantity,
            unit_cost=article.purchase_price,
            reference=reference,
            actor=warehouse_user,
        )
    return f"Volume articles: {count}, {quantity} each in HL"


def volume_orders(session: Session) -> int:
    return (
        session.scalar(
            select(func.count()).where(SalesOrder.customer_reference.like(f"{REFERENCE_PREFIX}%"))
        )
        or 0
    )


class VolumeOrders:
    """Plays ``count`` orders through the services; ``seed(session, start, stop)`` a batch."""

    def __init__(self, session: Session, count: int) -> None:
        self.count = count
        customers = (
            session.scalars(
                select(Customer.id).where(Customer.name.like(VOLUME_CUSTOMER)).order_by(Customer.id)
            ).all()
            or session.scalars(select(Customer.id).order_by(Customer.id)).all()
        )
        self.customers = list(customers)
        articles = session.scalars(
            select(Article.id).where(Article.sku.like(f"{SKU_PREFIX}%")).order_by(Article.id)
        ).all()
        self.articles = list(articles)
        random.Random(7).shuffle(self.articles)  # noqa: S311  (demo data)
        self.warehouse = session.scalar(select(Warehouse.id).where(Warehouse.code == "HL"))
        self.today = business_date()
        self.skipped = 0

    @property
    def ready(self) -> bool:
        return bool(self.customers and self.articles and self.warehouse)

    def _lines(self, k: int, rng: random.Random) -> list[dict[str, object]]:
        """Order k takes articles 3k, 3k+1, 3k+2 of a shuffled list, round-robin: each
        article lands on at most ceil(3 × orders / articles) orders."""
        count = min(rng.randint(1, MAX_LINES), len(self.articles))
        ids = {self.articles[(MAX_LINES * k + j) % len(self.articles)] for j in range(count)}
        return [
            {"article_id": a, "quantity": rng.randint(1, MAX_QUANTITY), "unit_price": None}
            for a in sorted(ids)
        ]

    def _day(self, day: date, rng: random.Random) -> date:
        return min(day + timedelta(days=rng.randint(0, 3)), self.today)

    def seed(self, session: Session, staff: Staff, start: int, stop: int) -> None:
        held = self._warm(session, start, stop)
        for k in range(start, stop):
            self._order(session, staff, k)
        held.clear()

    def _warm(self, session: Session, start: int, stop: int) -> list[object]:
        """Load what the batch's orders read over and over, and hold it: the session's
        identity map is weak, so the services' ``session.get`` of the warehouse, the company,
        an article, a customer or an account would otherwise go to the database every time."""
        customers = {self.customers[k % len(self.customers)] for k in range(start, stop)}
        held: list[object] = [fibu.get_company(session), session.get(Warehouse, self.warehouse)]
        held += session.scalars(select(Article).where(Article.sku.like(f"{SKU_PREFIX}%"))).all()
        held += session.scalars(select(Customer).where(Customer.id.in_(customers))).all()
        debitors = [c.debitor_account for c in held if isinstance(c, Customer)]
        numbers = [*debitors, *invoicing.ERLOESE.values(), invoicing.BANK]
        held += session.scalars(select(Account).where(Account.number.in_(numbers))).all()
        return held

    def _order(self, session: Session, staff: Staff, k: int) -> None:
        rng = random.Random(k)  # noqa: S311  (each order reproducible on its own)
        first = self.today.replace(day=1)
        day = first + timedelta(days=rng.randrange(self.today.day))
        order = service.create_order(
            session,
            actor=staff.sales,
            values={
                "customer_id": self.customers[k % len(self.customers)],
                "warehouse_id": self.warehouse,
                "order_date": day,
                "customer_reference": f"{REFERENCE_PREFIX}{k + 1:06d}",
                "lines": self._lines(k, rng),
            },
        )
        share = rng.random()
        step = next(name for limit, name in STEPS if share < limit)
        if step != "draft" and self._confirmed(session, staff, order, step):
            self._ship_and_bill(session, staff, order, step, day, rng)

    def _confirmed(self, session: Session, staff: Staff, order: SalesOrder, step: str) -> bool:
        """Confirm (and cancel, if that is its step); True when it goes on to be shipped."""
        try:
            service.confirm_order(session, order_id=order.id, actor=staff.sales)
        except service.CreditLimitExceeded:  # a customer with many orders: leave it a draft
            self.skipped += 1
            return False
        if step == "cancelled":
            service.cancel_order(session, order_id=order.id, actor=staff.sales)
        partial_of_one = step == "partial" and order.lines[0].open_quantity == 1
        return step not in ("cancelled", "confirmed") and not (
            partial_of_one and len(order.lines) == 1  # nothing would stay open
        )

    def _ship_and_bill(
        self,
        session: Session,
        staff: Staff,
        order: SalesOrder,
        step: str,
        day: date,
        rng: random.Random,
    ) -> None:
        lines = None
        if step == "partial":
            lines = [{"order_line_id": order.lines[0].id, "quantity": 1}]
        day = self._day(day, rng)
        delivery.deliver(
            session,
            order_id=order.id,
            actor=staff.warehouse,
            values={"delivery_date": day, "lines": lines},
        )
        if step in ("partial", "delivered"):
            return
        day = self._day(day, rng)
        invoice = invoicing.create_invoice(
            session, order_id=order.id, actor=staff.accountant, values={"invoice_date": day}
        )
        if step == "invoiced":
            return
        amount = invoice.gross_total
        if step == "partly_paid":
            amount = max(Decimal("0.01"), (amount / 2).quantize(Decimal("0.01")))
        invoicing.book_payment(
            session,
            invoice_id=invoice.id,
            actor=staff.accountant,
            values={"amount": amount, "payment_date": self._day(day, rng)},
        )


def seed_volume_orders(
    database: Database, *, count: int, batch: int = 500, progress: Progress = print
) -> str:
    """``count`` volume orders in all (those of an earlier run count), ``batch`` per
    transaction."""
    if count <= 0:
        return "Volume orders: none asked for"
    with database.transaction(write=False) as session:
        done = volume_orders(session)
        plan = VolumeOrders(session, count)
    if not plan.ready:
        return "Volume orders: skipped (needs customers, volume articles and warehouse HL)"
    started = time.monotonic()
    for start in range(done, count, batch):
        stop = min(start + batch, count)
        with database.transaction() as session:
            if database.is_sqlite:  # 64 MiB page cache: the batches touch the whole file
                session.execute(text("PRAGMA cache_size=-65536"))
            plan.seed(session, demo_staff(session), start, stop)
        rate = (stop - done) / max(time.monotonic() - started, 1e-6)
        progress(f"volume orders: {stop}/{count} ({rate:.0f} orders/s)")
    skipped = f", {plan.skipped} left drafts (credit limit)" if plan.skipped else ""
    return f"Volume orders: {count - done} created, {done} existed{skipped}"
