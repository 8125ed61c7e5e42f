"""Demo Warenwirtschaft: two warehouses, articles with opening stock, and purchase orders at
every step of procure-to-pay (received and paid, received and invoiced, partly received)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from erp.auth.models import User
from erp.purchasing import invoicing
from erp.purchasing import service as purchasing
from erp.purchasing.models import Supplier
from erp.stock import ledger
from erp.stock import service as stock
from erp.stock.models import Article
from erp.timeutil import business_date

ARTICLES = [  # sku, name, unit, purchase price, sales price, VAT rate, opening stock
    ("SCHR-M8-50", "Schrauben M8 × 50, verzinkt (100 Stk)", "Pck", "4.20", "8.90", 19, 240),
    ("DUEB-10", "Dübel 10 mm (50 Stk)", "Pck", "2.10", "4.50", 19, 180),
    ("BOHR-HSS-8", "HSS-Bohrer 8 mm", "Stk", "3.80", "7.90", 19, 60),
    ("HAND-L", "Arbeitshandschuhe Gr. L", "Paar", "2.90", "6.50", 19, 120),
    ("KLEB-PU", "PU-Montagekleber 310 ml", "Stk", "5.40", "11.90", 19, 75),
    ("SILI-TR", "Silikon transparent 300 ml", "Stk", "3.10", "6.90", 19, 90),
    ("KAFF-1KG", "Kaffee ganze Bohne 1 kg", "Stk", "12.49", "19.90", 7, 40),
    ("WASS-12", "Mineralwasser 12 × 0,75 l", "Kiste", "4.10", "7.49", 7, 50),
    ("TEE-GR", "Grüner Tee 100 g", "Stk", "2.60", "4.99", 7, 30),
    ("ZUCK-1KG", "Zucker 1 kg", "Stk", "0.95", "1.79", 7, 25),
]


def seed_stock(session: Session, *, warehouse_user: User, accountant: User) -> str:
    if session.scalar(select(func.count()).select_from(Article)):
        return "Stock demo data: exists"
    main = stock.create_warehouse(
        session, actor=warehouse_user, values={"code": "HL", "name": "Hauptlager"}
    )
    stock.create_warehouse(
        session, actor=warehouse_user, values={"code": "AL", "name": "Außenlager"}
    )
    today = business_date()
    articles = []
    for sku, name, unit, buy, sell, rate, opening in ARTICLES:
        article = stock.create_article(
            session,
            actor=warehouse_user,
            values={
                "sku": sku,
                "name": name,
                "unit": unit,
                "purchase_price": Decimal(buy),
                "sales_price": Decimal(sell),
                "vat_rate": rate,
            },
        )
        ledger.receive(
            session,
            article_id=article.id,
            warehouse_id=main.id,
            quantity=opening,
            unit_cost=Decimal(buy),
            reference=f"AB-{today.year}",
            actor=warehouse_user,
        )
        articles.append(article)
    supplier = session.scalars(select(Supplier).order_by(Supplier.id)).first()
    if supplier is None:
        supplier = purchasing.create_supplier(
            session, actor=accountant, values={"name": "Großhandel Nord GmbH"}
        )
    day = max(today.replace(day=1), today - timedelta(days=3))
    for index, (count, paid) in enumerate(((3, True), (2, False), (2, None))):
        order = purchasing.create_order(
            session,
            actor=warehouse_user,
            values={
                "supplier_id": supplier.id,
                "order_date": day,
                "lines": [
                    {"article_id": a.id, "quantity": 20 + 10 * i, "unit_price": None}
                    for i, a in enumerate(articles[index * 3 : index * 3 + count])
                ],
            },
        )
        purchasing.place_order(session, order_id=order.id, actor=warehouse_user)
        received = [
            {
                "order_line_id": line.id,
                "quantity": line.quantity if paid is not None else line.quantity // 2,
            }
            for line in order.lines
        ]
        purchasing.receive_goods(
            session,
            order_id=order.id,
            actor=warehouse_user,
            values={"warehouse_id": main.id, "receipt_date": day, "lines": received},
        )
        if paid is None:
            continue  # partly received, not invoiced
        invoice = invoicing.create_invoice(
            session,
            order_id=order.id,
            actor=accountant,
            values={"supplier_reference": f"GN-{today.year}-{100 + index}", "invoice_date": day},
        )
        if paid:
            invoicing.pay_invoice(
                session,
                invoice_id=invoice.id,
                actor=accountant,
                values={"amount": invoice.gross_total, "payment_date": day},
            )
    return f"Stock demo data: {len(articles)} articles in 2 warehouses, 3 purchase orders"
