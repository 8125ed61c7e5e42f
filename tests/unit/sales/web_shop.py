"""Order-to-cash pages: master data committed for the pages (from the sales fixtures), a user
per role, and helpers to fill in the forms and read the answers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from erp.auth.models import Role, User
from erp.crm.models import Customer
from erp.deps import Services
from erp.stock.models import Article, Warehouse
from tests.conftest import AccountFactory
from tests.unit.sales.conftest import level
from tests.web_helpers import post_form


@dataclass(frozen=True)
class PageShop:
    """Master data committed for the pages, and one user per role of the flow."""

    customer: Customer
    warehouse: Warehouse
    drill: Article  # 19.99 at 19 %
    coffee: Article  # 12.49 at 7 %
    sales: str
    warehouse_user: str
    accounting: str
    admin: str
    api: dict[str, str]  # an admin's API token, to read ids


def commit(db: Session) -> None:
    """The pages run in transactions of their own: what the fixtures made must be committed
    (and ``db`` not used afterwards, it would hold SQLite's write lock)."""
    db.commit()


@pytest.fixture
def shop(
    db: Session,
    seller: User,
    customer: Customer,
    warehouse: Warehouse,
    articles: tuple[Article, Article],
    make_account: AccountFactory,
) -> PageShop:
    commit(db)
    return PageShop(
        customer,
        warehouse,
        *articles,
        sales=make_account(Role.sales, email="sven@firma.test").email,
        warehouse_user=make_account(Role.warehouse, email="lena@firma.test").email,
        accounting=make_account(Role.accounting, email="berta@firma.test").email,
        admin=seller.email,
        api=make_account(Role.admin).headers,
    )


def stock_of(services: Services, article: Article, warehouse: Warehouse) -> tuple[int, int]:
    """(on hand, reserved), read in a transaction of its own."""
    with services.database.transaction(write=False) as session:
        return level(session, article, warehouse)


def location_id(response: Any, pattern: str) -> int:
    assert response.status_code == 303, response.text
    match = re.fullmatch(pattern, response.headers["location"])
    assert match, response.headers["location"]
    return int(match.group(1))


def order_form(shop: PageShop, *lines: tuple[str, str, str], **fields: str) -> dict[str, str]:
    data = {
        "customer_id": str(shop.customer.id),
        "warehouse_id": str(shop.warehouse.id),
        "order_date": "02.03.2026",
        "customer_reference": "B-77",
    } | fields
    for row, (sku, quantity, price) in enumerate(lines, start=1):
        data |= {f"sku_{row}": sku, f"quantity_{row}": quantity, f"price_{row}": price}
    return data


def part(page: str, testid: str) -> str:
    return page.split(f'data-testid="{testid}"')[1].split("</tr>", maxsplit=1)[0]


def line_ids(client: TestClient, shop: PageShop, order_id: int) -> list[int]:
    reply = client.get(f"/api/v1/sales-orders/{order_id}", headers=shop.api)
    return [li["id"] for li in reply.json()["lines"]]


def new_order(client: TestClient, shop: PageShop, *lines: tuple[str, str, str]) -> int:
    new = "/sales-orders/new"
    return location_id(
        post_form(client, new, order_form(shop, *lines), form_page=new),
        r"/sales-orders/([0-9]+)\?done=created",
    )
