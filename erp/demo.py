"""Demo data for development and for the harness (``python -m erp seed-demo``)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from erp.auth import service as auth_service
from erp.auth.models import Role
from erp.auth.passwords import PasswordHasher
from erp.demo_crm import seed_crm
from erp.demo_fibu import seed_fibu
from erp.demo_sales import demo_staff, seed_sales
from erp.demo_stock import seed_stock
from erp.demo_volume import seed_volume_articles

DEMO_PASSWORD = "valeo-demo-2026"
DEMO_USERS = [
    ("admin@valeo.test", "Anna Admin", frozenset({Role.admin})),
    ("sales@valeo.test", "Sven Vertrieb", frozenset({Role.sales})),
    ("accounting@valeo.test", "Berta Buchhaltung", frozenset({Role.accounting})),
    ("warehouse@valeo.test", "Lars Lager", frozenset({Role.warehouse})),
]


def seed_demo(
    session: Session,
    *,
    hasher: PasswordHasher,
    extra_customers: int = 0,
    extra_articles: int = 0,
    volume_orders: int = 0,
) -> list[str]:
    """Create the demo accounts and data that do not exist yet; return what was done.

    ``extra_customers`` and ``extra_articles`` add volume master data (articles stocked for
    ``volume_orders``, which ``erp.demo_volume.seed_volume_orders`` seeds in batches after).
    """
    lines = []
    for email, name, roles in DEMO_USERS:
        if auth_service.find_user_by_email(session, email=email) is not None:
            lines.append(f"{email}: exists")
            continue
        auth_service.register_user(
            session, hasher=hasher, email=email, full_name=name, password=DEMO_PASSWORD, roles=roles
        )
        lines.append(f"{email}: created (password {DEMO_PASSWORD})")
    sales = auth_service.find_user_by_email(session, email="sales@valeo.test")
    assert sales is not None
    lines.append(seed_crm(session, sales=sales, extra_customers=extra_customers))
    accountant = auth_service.find_user_by_email(session, email="accounting@valeo.test")
    assert accountant is not None
    lines.append(seed_fibu(session, accountant=accountant))
    warehouse_user = auth_service.find_user_by_email(session, email="warehouse@valeo.test")
    assert warehouse_user is not None
    lines.append(seed_stock(session, warehouse_user=warehouse_user, accountant=accountant))
    lines.append(seed_sales(session, staff=demo_staff(session)))
    lines.append(
        seed_volume_articles(
            session, warehouse_user=warehouse_user, count=extra_articles, orders=volume_orders
        )
    )
    return lines
