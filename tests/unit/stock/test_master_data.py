"""Articles and warehouses: creation, changes in the audit trail, uniqueness, search."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from erp import audit
from erp.auth.models import User
from erp.stock import ledger, service
from erp.stock.models import Article, Warehouse
from tests.unit.stock.conftest import article_values


def test_an_article_is_created_with_its_tax_codes_and_audited(
    db: Session, keeper: User, article: Article
) -> None:
    assert (article.sku, article.unit, article.active) == ("SCHR-M8", "Stk", True)
    assert (article.sales_tax_code, article.purchase_tax_code) == ("USt19", "VSt19")
    assert article.created_by_id == keeper.id
    [entry] = audit.history(db, entity="article", entity_id=article.id)
    assert entry.action == "created"
    assert json.loads(entry.changes)["sales_price"] == "0.50"
    food = service.create_article(
        db, actor=keeper, values=article_values(sku="MEHL-1", unit="kg", vat_rate=7)
    )
    assert (food.sales_tax_code, food.purchase_tax_code) == ("USt7", "VSt7")


def test_skus_are_unique(db: Session, keeper: User, article: Article) -> None:
    with pytest.raises(service.SkuTaken):
        service.create_article(db, actor=keeper, values=article_values(name="Doppelt"))
    other = service.create_article(db, actor=keeper, values=article_values(sku="SCHR-M10"))
    with pytest.raises(service.SkuTaken):
        service.update_article(db, article_id=other.id, actor=keeper, values={"sku": "SCHR-M8"})


def test_changes_are_audited_field_by_field(db: Session, keeper: User, article: Article) -> None:
    changed = service.update_article(
        db,
        article_id=article.id,
        actor=keeper,
        values={"sales_price": Decimal("0.60"), "name": article.name, "active": False},
    )
    assert (changed.sales_price, changed.active) == (Decimal("0.60"), False)
    entry = audit.history(db, entity="article", entity_id=article.id)[-1]
    assert (entry.action, json.loads(entry.changes)) == (
        "updated",
        {"sales_price": ["0.50", "0.60"], "active": [True, False]},
    )
    service.update_article(db, article_id=article.id, actor=keeper, values={"active": False})
    assert len(audit.history(db, entity="article", entity_id=article.id)) == 2  # no-op: no entry


def test_the_unit_is_fixed_once_movements_count_in_it(
    db: Session, keeper: User, article: Article, main_store: Warehouse
) -> None:
    service.update_article(db, article_id=article.id, actor=keeper, values={"unit": "Pkt"})
    ledger.receive(
        db,
        article_id=article.id,
        warehouse_id=main_store.id,
        quantity=1,
        unit_cost=Decimal("1.00"),
        reference="EB-1",
        actor=keeper,
    )
    with pytest.raises(service.UnitInUse):
        service.update_article(db, article_id=article.id, actor=keeper, values={"unit": "Stk"})
    same = service.update_article(db, article_id=article.id, actor=keeper, values={"unit": "Pkt"})
    assert same.unit == "Pkt"


@pytest.mark.parametrize(
    "values",
    [
        {"sku": "schr-m8"},
        {"sku": "-A"},
        {"sku": "A" * 41},
        {"vat_rate": 16},
        {"sales_price": Decimal("-1.00")},
        {"purchase_price": Decimal("0.001")},
        {"colour": "red"},
    ],
)
def test_invalid_article_values_are_refused(
    db: Session, keeper: User, article: Article, values: dict[str, object]
) -> None:
    with pytest.raises(service.InvalidMasterData):
        service.create_article(db, actor=keeper, values=article_values(**values))
    with pytest.raises(service.InvalidMasterData):
        service.update_article(db, article_id=article.id, actor=keeper, values=values)


def test_articles_are_found_by_sku_or_name(db: Session, keeper: User, article: Article) -> None:
    service.create_article(
        db, actor=keeper, values=article_values(sku="MUT-M8", name="Mutter M8", unit="Stk")
    )
    service.create_article(
        db, actor=keeper, values=article_values(sku="DUEBEL-6", name="Dübel 6 mm", unit="Stk")
    )

    def skus(query: str | None = None, active: bool | None = None) -> list[str]:
        rows, total = service.list_articles(db, limit=10, offset=0, query=query, active=active)
        assert total == len(rows)
        return [a.sku for a in rows]

    assert skus() == ["DUEBEL-6", "MUT-M8", "SCHR-M8"]
    assert skus("m8") == ["MUT-M8", "SCHR-M8"]
    assert skus("MUTTER") == ["MUT-M8"]
    assert skus("dübel") == ["DUEBEL-6"]
    service.update_article(db, article_id=article.id, actor=keeper, values={"active": False})
    assert skus(active=True) == ["DUEBEL-6", "MUT-M8"]
    assert skus(active=False) == ["SCHR-M8"]
    page, total = service.list_articles(db, limit=1, offset=1)
    assert ([a.sku for a in page], total) == (["MUT-M8"], 3)


def test_unknown_records_are_not_found(db: Session) -> None:
    with pytest.raises(service.ArticleNotFound):
        service.get_article(db, 999)
    with pytest.raises(service.WarehouseNotFound):
        service.get_warehouse(db, 999)


def test_warehouses_have_unique_codes_and_are_audited(
    db: Session, keeper: User, main_store: Warehouse, branch: Warehouse
) -> None:
    assert [w.code for w in service.list_warehouses(db)] == ["FL", "HL"]
    with pytest.raises(service.WarehouseCodeTaken):
        service.create_warehouse(db, actor=keeper, values={"code": "HL", "name": "Noch eins"})
    with pytest.raises(service.WarehouseCodeTaken):
        service.update_warehouse(db, warehouse_id=branch.id, actor=keeper, values={"code": "HL"})
    with pytest.raises(service.InvalidMasterData):
        service.create_warehouse(db, actor=keeper, values={"code": "hl 2", "name": "x"})
    with pytest.raises(service.InvalidMasterData):
        service.update_warehouse(db, warehouse_id=branch.id, actor=keeper, values={"city": "x"})
    service.update_warehouse(db, warehouse_id=branch.id, actor=keeper, values={"active": False})
    assert [w.code for w in service.list_warehouses(db, active=True)] == ["HL"]
    assert [w.code for w in service.list_warehouses(db, active=False)] == ["FL"]
    actions = [e.action for e in audit.history(db, entity="warehouse", entity_id=branch.id)]
    assert actions == ["created", "updated"]
