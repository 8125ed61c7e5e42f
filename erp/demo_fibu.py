"""Demo bookkeeping: a supplier (with its Kreditor) and a month of postings."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from erp.auth.models import User
from erp.crm.models import Customer
from erp.fibu import journal, service
from erp.fibu.models import JournalEntry
from erp.purchasing import service as purchasing
from erp.timeutil import business_date


def seed_fibu(session: Session, *, accountant: User) -> str:
    if session.scalar(select(func.count()).select_from(JournalEntry)):
        return "FIBU demo data: exists"
    service.update_company(
        session,
        actor=accountant,
        values={
            "name": "Valeo Demo GmbH",
            "street": "Friedrichstraße 100",
            "postal_code": "10117",
            "city": "Berlin",
            "tax_number": "30/123/45678",
            "vat_id": "DE136695976",
            "datev_consultant_number": 29098,
            "datev_client_number": 55003,
        },
    )
    supplier = purchasing.create_supplier(
        session,
        actor=accountant,
        values={"name": "Großhandel Nord GmbH", "city": "Hamburg", "payment_terms_days": 30},
    )
    kreditor = supplier.kreditor_account
    first = business_date().replace(day=1)
    debitors = list(
        session.scalars(select(Customer.debitor_account).order_by(Customer.id).limit(3))
    )
    bookings: list[tuple[int, str, str, list[dict[str, Any]]]] = [
        (0, "EB-1", "Einlage Stammkapital", [_d(1200, "25000.00"), _c(800, "25000.00")]),
        (1, "ER-1001", "Wareneinkauf", [_d(3400, "4000.00"), _c(kreditor, "4760.00")]),
        (2, "MI-11", "Büromiete", [_d(4210, "1500.00"), _c(1200, "1500.00")]),
    ]
    for index, debitor in enumerate(debitors):
        net = Decimal(1000 + 250 * index)
        gross = net * Decimal("1.19")
        bookings.append(
            (
                3 + index,
                f"RE-{2026001 + index}",
                "Warenverkauf",
                [_d(debitor, f"{gross:.2f}"), _c(8400, f"{net:.2f}")],
            )
        )
    if debitors:
        bookings.append(
            (
                6,
                "BA-7",
                "Zahlungseingang",
                [_d(1200, "1190.00"), _c(debitors[0], "1190.00", reference="RE-2026001")],
            )
        )
    for offset, document, text, lines in bookings:
        day = min(first + timedelta(days=offset), business_date())
        journal.create_entry(
            session,
            actor=accountant,
            values={
                "document_number": document,
                "document_date": day,
                "posting_date": day,
                "due_date": day + timedelta(days=14),
                "text": text,
                "lines": lines,
            },
            post=True,
        )
    return f"FIBU demo data: {len(bookings)} postings"


def _d(account: int, amount: str, **extra: Any) -> dict[str, Any]:
    return {"account": account, "debit": Decimal(amount), **extra}


def _c(account: int, amount: str, **extra: Any) -> dict[str, Any]:
    return {"account": account, "credit": Decimal(amount), **extra}
