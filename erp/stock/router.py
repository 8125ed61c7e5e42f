"""Stock API: articles, warehouses, levels, the ledger, receipts, issues, transfers,
adjustments and the inventory value. The warehouse role runs it; accounting may read
articles, levels and the inventory value."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status

from erp.auth.models import Role, User
from erp.deps import Allow, DbSession
from erp.openapi_links import Responses, conflict, created
from erp.schemas import MAX_ID, ObjectId, Page, PageParams, page_params
from erp.stock import ledger, queries, service
from erp.stock.models import StockMovement
from erp.stock.schemas import (
    AdjustByDelta,
    AdjustToCount,
    ArticleCreate,
    ArticleRead,
    ArticleUpdate,
    InventoryValueRead,
    IssueCreate,
    LevelRead,
    MovementRead,
    ReceiptCreate,
    TransferCreate,
    TransferRead,
    WarehouseCreate,
    WarehouseRead,
)

router = APIRouter(tags=["stock"])
StockKeeper = Annotated[User, Depends(Allow(Role.admin, Role.warehouse))]
StockReader = Annotated[User, Depends(Allow(Role.admin, Role.warehouse, Role.accounting))]
# Sales takes orders: it reads the catalogue, the warehouses and what is available.
CatalogueReader = Annotated[
    User, Depends(Allow(Role.admin, Role.warehouse, Role.accounting, Role.sales))
]
Paging = Annotated[PageParams, Depends(page_params)]
IdFilter = Annotated[int | None, Query(ge=1, le=MAX_ID)]
UNKNOWN: Responses = {404: {"description": "No such article or warehouse"}}
MOVEMENT_CREATED = created("stock movement", "movement_id", GetMovement="getStockMovement")
# Bodies go to the services as ``dict(body)``: Decimals, not the strings model_dump() makes.


def _movement_created(response: Response, movement: StockMovement) -> MovementRead:
    response.headers["Location"] = f"/api/v1/stock/movements/{movement.id}"
    return MovementRead.model_validate(movement)


# articles ------------------------------------------------------------------------------
@router.get("/articles")
def list_articles(
    _user: CatalogueReader,
    db: DbSession,
    page: Paging,
    q: Annotated[str | None, Query(max_length=100, description="Part of SKU or name")] = None,
    active: bool | None = None,
) -> Page[ArticleRead]:
    """Articles by SKU."""
    rows, total = service.list_articles(
        db, limit=page.limit, offset=page.offset, query=q, active=active
    )
    items = [ArticleRead.model_validate(a) for a in rows]
    return Page[ArticleRead](items=items, total=total, limit=page.limit, offset=page.offset)


@router.post(
    "/articles",
    status_code=status.HTTP_201_CREATED,
    responses={
        **created("article", "article_id", GetArticle="getArticle", UpdateArticle="updateArticle"),
        **conflict("The SKU is taken"),
    },
)
def create_article(
    body: ArticleCreate, user: StockKeeper, db: DbSession, response: Response
) -> ArticleRead:
    """Create an article (prices net; VAT 19 or 7 %)."""
    article = service.create_article(db, actor=user, values=dict(body))
    response.headers["Location"] = f"/api/v1/articles/{article.id}"
    return ArticleRead.model_validate(article)


@router.get("/articles/{article_id}")
def get_article(article_id: ObjectId, _user: CatalogueReader, db: DbSession) -> ArticleRead:
    """One article."""
    return ArticleRead.model_validate(service.get_article(db, article_id))


@router.patch(
    "/articles/{article_id}",
    responses=conflict("The SKU is taken, or the unit is in use by stock movements"),
)
def update_article(
    article_id: ObjectId, body: ArticleUpdate, user: StockKeeper, db: DbSession
) -> ArticleRead:
    """Change the fields sent; every change is in the audit trail."""
    article = service.update_article(db, article_id=article_id, actor=user, values=body.changes())
    return ArticleRead.model_validate(article)


# warehouses ----------------------------------------------------------------------------
@router.get("/warehouses")
def list_warehouses(
    _user: CatalogueReader, db: DbSession, active: bool | None = None
) -> list[WarehouseRead]:
    """Warehouses by code."""
    return [WarehouseRead.model_validate(w) for w in service.list_warehouses(db, active=active)]


@router.post(
    "/warehouses",
    status_code=status.HTTP_201_CREATED,
    responses={
        **created("warehouse", "warehouse_id", GetWarehouse="getWarehouse"),
        **conflict("The code is taken"),
    },
)
def create_warehouse(
    body: WarehouseCreate, user: StockKeeper, db: DbSession, response: Response
) -> WarehouseRead:
    """Create a warehouse (Lager)."""
    warehouse = service.create_warehouse(db, actor=user, values=dict(body))
    response.headers["Location"] = f"/api/v1/warehouses/{warehouse.id}"
    return WarehouseRead.model_validate(warehouse)


@router.get("/warehouses/{warehouse_id}")
def get_warehouse(warehouse_id: ObjectId, _user: CatalogueReader, db: DbSession) -> WarehouseRead:
    """One warehouse."""
    return WarehouseRead.model_validate(service.get_warehouse(db, warehouse_id))


# levels and the ledger -----------------------------------------------------------------
@router.get("/stock/levels")
def list_stock_levels(
    _user: CatalogueReader,
    db: DbSession,
    article_id: IdFilter = None,
    warehouse_id: IdFilter = None,
) -> list[LevelRead]:
    """On hand, reserved, available and the moving average cost per article and warehouse."""
    rows = queries.levels(db, article_id=article_id, warehouse_id=warehouse_id)
    return [LevelRead.model_validate(level) for level in rows]


@router.get("/stock/movements")
def list_stock_movements(
    _user: StockKeeper,
    db: DbSession,
    page: Paging,
    article_id: IdFilter = None,
    warehouse_id: IdFilter = None,
) -> Page[MovementRead]:
    """The stock ledger, newest first (append-only)."""
    rows, total = queries.movements(
        db,
        limit=page.limit,
        offset=page.offset,
        article_id=article_id,
        warehouse_id=warehouse_id,
    )
    items = [MovementRead.model_validate(m) for m in rows]
    return Page[MovementRead](items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/stock/movements/{movement_id}")
def get_stock_movement(movement_id: ObjectId, _user: StockKeeper, db: DbSession) -> MovementRead:
    """One line of the stock ledger."""
    return MovementRead.model_validate(queries.get_movement(db, movement_id))


@router.get("/stock/inventory-value")
def get_inventory_value(_user: StockReader, db: DbSession) -> InventoryValueRead:
    """Bestandswert: on hand × moving average cost per article and warehouse, and the total."""
    value = queries.inventory_value(db)
    lines = [LevelRead.model_validate(level) for level in value.lines]
    return InventoryValueRead(lines=lines, total=value.total)


# movements -----------------------------------------------------------------------------
@router.post(
    "/stock/receipts",
    status_code=status.HTTP_201_CREATED,
    responses={
        **MOVEMENT_CREATED,
        **UNKNOWN,
        **conflict("The article or warehouse is inactive, or the stock limit is reached"),
    },
)
def create_stock_receipt(
    body: ReceiptCreate, user: StockKeeper, db: DbSession, response: Response
) -> MovementRead:
    """Receive stock without a purchase order (e.g. opening stock); moves the average cost."""
    unit_cost = body.unit_cost
    if unit_cost is None:
        unit_cost = service.get_article(db, body.article_id).purchase_price
    movement = ledger.receive(
        db,
        article_id=body.article_id,
        warehouse_id=body.warehouse_id,
        quantity=body.quantity,
        unit_cost=unit_cost,
        reference=body.reference,
        actor=user,
    )
    return _movement_created(response, movement)


@router.post(
    "/stock/issues",
    status_code=status.HTTP_201_CREATED,
    responses={**MOVEMENT_CREATED, **UNKNOWN, **conflict("Not enough stock available")},
)
def create_stock_issue(
    body: IssueCreate, user: StockKeeper, db: DbSession, response: Response
) -> MovementRead:
    """Take stock out at the moving average cost; never more than is available."""
    movement = ledger.issue(db, **dict(body), actor=user)
    return _movement_created(response, movement)


def _transfer_links() -> Responses:
    responses = created(
        "transfer", "movement_id", GetOutgoing="getStockMovement", GetIncoming="getStockMovement"
    )
    links: dict[str, Any] = responses[201]["links"]
    links["GetOutgoing"]["parameters"] = {"movement_id": "$response.body#/outgoing/id"}
    links["GetIncoming"]["parameters"] = {"movement_id": "$response.body#/incoming/id"}
    responses[201]["headers"]["Location"]["description"] = "URL of the outgoing movement"
    return responses


@router.post(
    "/stock/transfers",
    status_code=status.HTTP_201_CREATED,
    responses={
        **_transfer_links(),
        **UNKNOWN,
        **conflict("Not enough stock, the same warehouse twice, or an inactive target"),
    },
)
def create_stock_transfer(
    body: TransferCreate, user: StockKeeper, db: DbSession, response: Response
) -> TransferRead:
    """Move stock between warehouses at the source's average cost (two ledger lines)."""
    outgoing, incoming = ledger.transfer(db, **dict(body), actor=user)
    response.headers["Location"] = f"/api/v1/stock/movements/{outgoing.id}"
    return TransferRead(
        outgoing=MovementRead.model_validate(outgoing),
        incoming=MovementRead.model_validate(incoming),
    )


@router.post(
    "/stock/adjustments",
    status_code=status.HTTP_201_CREATED,
    responses={
        **MOVEMENT_CREATED,
        **UNKNOWN,
        **conflict("No difference, below zero or below the reserved quantity, or too much"),
    },
)
def create_stock_adjustment(
    body: AdjustToCount | AdjustByDelta, user: StockKeeper, db: DbSession, response: Response
) -> MovementRead:
    """Inventory adjustment to a counted quantity or by a delta, with a reason."""
    movement = ledger.adjust(db, **dict(body), actor=user)
    return _movement_created(response, movement)
