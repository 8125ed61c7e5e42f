"""CRM API: opportunities, the pipeline summary, activities."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from erp.auth.models import Role, User
from erp.crm import pipeline
from erp.crm.models import Stage
from erp.crm.schemas import (
    ActivityCreate,
    ActivityRead,
    ActivityUpdate,
    OpportunityCreate,
    OpportunityRead,
    OpportunityUpdate,
    PipelineSummary,
    StageChange,
    StageSummary,
)
from erp.deps import Allow, DbSession
from erp.money import ZERO
from erp.openapi_links import conflict, created
from erp.schemas import MAX_ID, ObjectId, Page, PageParams, page_params

router = APIRouter(tags=["crm"])
CrmUser = Annotated[User, Depends(Allow(Role.admin, Role.sales))]
Paging = Annotated[PageParams, Depends(page_params)]
OptionalId = Annotated[int | None, Query(ge=1, le=MAX_ID)]
CUSTOMER_STATE = conflict("The customer or record is archived or closed")


@router.get("/opportunities")
def list_opportunities(
    _user: CrmUser,
    db: DbSession,
    page: Paging,
    customer_id: OptionalId = None,
    stage: Stage | None = None,
    owner_id: OptionalId = None,
    include_archived: bool = False,
) -> Page[OpportunityRead]:
    """Opportunities by close date."""
    rows, total = pipeline.list_opportunities(
        db,
        limit=page.limit,
        offset=page.offset,
        customer_id=customer_id,
        stage=stage,
        owner_id=owner_id,
        include_archived=include_archived,
    )
    items = [OpportunityRead.model_validate(o) for o in rows]
    return Page[OpportunityRead](items=items, total=total, limit=page.limit, offset=page.offset)


@router.post(
    "/opportunities",
    status_code=status.HTTP_201_CREATED,
    responses={
        **created(
            "opportunity",
            "opportunity_id",
            GetOpportunity="getOpportunity",
            UpdateOpportunity="updateOpportunity",
            ChangeStage="changeOpportunityStage",
            ArchiveOpportunity="archiveOpportunity",
        ),
        404: {"description": "No such customer"},
        **CUSTOMER_STATE,
    },
)
def create_opportunity(
    body: OpportunityCreate, user: CrmUser, db: DbSession, response: Response
) -> OpportunityRead:
    """Open an opportunity as a lead."""
    opportunity = pipeline.create_opportunity(db, actor=user, values=body.model_dump())
    response.headers["Location"] = f"/api/v1/opportunities/{opportunity.id}"
    return OpportunityRead.model_validate(opportunity)


@router.get("/opportunities/{opportunity_id}")
def get_opportunity(opportunity_id: ObjectId, _user: CrmUser, db: DbSession) -> OpportunityRead:
    """One opportunity."""
    return OpportunityRead.model_validate(
        pipeline.get_opportunity(db, opportunity_id=opportunity_id)
    )


@router.patch("/opportunities/{opportunity_id}", responses=CUSTOMER_STATE)
def update_opportunity(
    opportunity_id: ObjectId, body: OpportunityUpdate, user: CrmUser, db: DbSession
) -> OpportunityRead:
    """Change the fields sent; won and lost opportunities are closed."""
    opportunity = pipeline.update_opportunity(
        db, opportunity_id=opportunity_id, actor=user, values=body.changes()
    )
    return OpportunityRead.model_validate(opportunity)


@router.post(
    "/opportunities/{opportunity_id}/stage",
    responses={409: {"description": "The move is not allowed from the current stage"}},
)
def change_opportunity_stage(
    opportunity_id: ObjectId, body: StageChange, user: CrmUser, db: DbSession
) -> OpportunityRead:
    """Move along lead → qualified → proposal → won, or to lost (with a reason)."""
    opportunity = pipeline.change_stage(
        db,
        opportunity_id=opportunity_id,
        actor=user,
        stage=body.stage,
        lost_reason=body.lost_reason,
    )
    return OpportunityRead.model_validate(opportunity)


@router.post("/opportunities/{opportunity_id}/archive")
def archive_opportunity(opportunity_id: ObjectId, user: CrmUser, db: DbSession) -> OpportunityRead:
    """Archive an opportunity; it leaves the pipeline but stays readable."""
    return OpportunityRead.model_validate(
        pipeline.archive_opportunity(db, opportunity_id=opportunity_id, actor=user)
    )


@router.get("/pipeline/summary")
def get_pipeline_summary(_user: CrmUser, db: DbSession) -> PipelineSummary:
    """Count, expected and probability-weighted revenue per stage."""
    stages = [
        StageSummary(stage=s, count=n, expected_revenue=rev, weighted_revenue=w)
        for s, n, rev, w in pipeline.pipeline_summary(db)
    ]
    open_stages = [s for s in stages if s.stage in (Stage.lead, Stage.qualified, Stage.proposal)]
    return PipelineSummary(
        stages=stages,
        open_expected_revenue=sum((s.expected_revenue for s in open_stages), ZERO),
        open_weighted_revenue=sum((s.weighted_revenue for s in open_stages), ZERO),
    )


# Activities -----------------------------------------------------------------------------


def _activity_page(rows: list[ActivityRead], total: int, page: PageParams) -> Page[ActivityRead]:
    return Page[ActivityRead](items=rows, total=total, limit=page.limit, offset=page.offset)


@router.get("/activities")
def list_activities(
    _user: CrmUser,
    db: DbSession,
    page: Paging,
    customer_id: OptionalId = None,
    opportunity_id: OptionalId = None,
    owner_id: OptionalId = None,
    open_only: bool = False,
    include_archived: bool = False,
) -> Page[ActivityRead]:
    """Activities, the most urgent first."""
    rows, total = pipeline.list_activities(
        db,
        limit=page.limit,
        offset=page.offset,
        customer_id=customer_id,
        opportunity_id=opportunity_id,
        owner_id=owner_id,
        open_only=open_only,
        include_archived=include_archived,
    )
    return _activity_page([ActivityRead.model_validate(a) for a in rows], total, page)


# Not /activities/mine: that path would also match /activities/{activity_id}.
@router.get("/me/activities")
def my_open_activities(user: CrmUser, db: DbSession, page: Paging) -> Page[ActivityRead]:
    """The caller's open activities, the most urgent first."""
    rows, total = pipeline.list_activities(
        db, limit=page.limit, offset=page.offset, owner_id=user.id, open_only=True
    )
    return _activity_page([ActivityRead.model_validate(a) for a in rows], total, page)


@router.post(
    "/activities",
    status_code=status.HTTP_201_CREATED,
    responses={
        **created(
            "activity",
            "activity_id",
            GetActivity="getActivity",
            UpdateActivity="updateActivity",
            ArchiveActivity="archiveActivity",
        ),
        404: {"description": "No such customer or opportunity"},
        **CUSTOMER_STATE,
    },
)
def create_activity(
    body: ActivityCreate, user: CrmUser, db: DbSession, response: Response
) -> ActivityRead:
    """Log a call, meeting, task or note on a customer (and optionally an opportunity)."""
    activity = pipeline.create_activity(db, actor=user, values=body.model_dump())
    response.headers["Location"] = f"/api/v1/activities/{activity.id}"
    return ActivityRead.model_validate(activity)


@router.get("/activities/{activity_id}")
def get_activity(activity_id: ObjectId, _user: CrmUser, db: DbSession) -> ActivityRead:
    """One activity."""
    return ActivityRead.model_validate(pipeline.get_activity(db, activity_id=activity_id))


@router.patch("/activities/{activity_id}", responses=CUSTOMER_STATE)
def update_activity(
    activity_id: ObjectId, body: ActivityUpdate, user: CrmUser, db: DbSession
) -> ActivityRead:
    """Change the fields sent; ``done: true`` completes the activity."""
    activity = pipeline.update_activity(
        db, activity_id=activity_id, actor=user, values=body.changes()
    )
    return ActivityRead.model_validate(activity)


@router.post("/activities/{activity_id}/archive")
def archive_activity(activity_id: ObjectId, user: CrmUser, db: DbSession) -> ActivityRead:
    """Archive an activity."""
    return ActivityRead.model_validate(
        pipeline.archive_activity(db, activity_id=activity_id, actor=user)
    )
