"""Opportunities on the pipeline, activities, and the pipeline summary."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, bindparam, func, select
from sqlalchemy.orm import Session

from erp import audit
from erp.auth.models import User
from erp.crm import rules
from erp.crm.models import Activity, Customer, Opportunity, Stage
from erp.crm.service import active_customer, archive_record, update_record
from erp.errors import Conflict, DomainError, NotFound
from erp.money import ZERO, round_cents
from erp.timeutil import utcnow


class OpportunityNotFound(NotFound):
    slug = "opportunity-not-found"


class ActivityNotFound(NotFound):
    slug = "activity-not-found"


class IllegalStageChange(Conflict):
    slug = "illegal-stage-change"


class LostReasonRequired(DomainError):
    status, title, slug = 422, "Lost reason required", "lost-reason-required"


class OpportunityClosed(Conflict):
    slug = "opportunity-closed"


class RecordArchived(Conflict):
    slug = "archived"


# References between records that the schema cannot check: answered 409 (the request is
# well-formed; it conflicts with the state of the records it names).
class UnknownOwner(Conflict):
    title, slug = "Unknown owner", "unknown-owner"


class OpportunityOfOtherCustomer(Conflict):
    title, slug = "Opportunity belongs to another customer", "opportunity-mismatch"


def _owner(session: Session, owner_id: int | None, actor: User) -> int:
    if owner_id is None:
        return actor.id
    owner = session.get(User, owner_id)
    if owner is None or not owner.is_active:
        raise UnknownOwner(f"user {owner_id} does not exist or is disabled")
    return owner.id


def _touch(record: Opportunity | Activity, actor: User) -> None:
    record.updated_at, record.updated_by_id = utcnow(), actor.id


def get_opportunity(session: Session, *, opportunity_id: int) -> Opportunity:
    opportunity = session.get(Opportunity, opportunity_id)
    if opportunity is None:
        raise OpportunityNotFound(f"opportunity {opportunity_id} does not exist")
    return opportunity


def create_opportunity(session: Session, *, actor: User, values: dict[str, Any]) -> Opportunity:
    active_customer(session, customer_id=values["customer_id"])
    probability = values.get("probability")
    opportunity = Opportunity(
        customer_id=values["customer_id"],
        title=values["title"],
        expected_revenue=values["expected_revenue"],
        probability=rules.DEFAULT_PROBABILITY[Stage.lead] if probability is None else probability,
        owner_id=_owner(session, values.get("owner_id"), actor),
        close_date=values.get("close_date"),
        stage=Stage.lead,
        created_by_id=actor.id,
        updated_by_id=actor.id,
    )
    session.add(opportunity)
    session.flush()
    audit.record(
        session,
        entity="opportunity",
        entity_id=opportunity.id,
        action="create",
        user_id=actor.id,
        changes=values,
    )
    return opportunity


def _editable(session: Session, opportunity_id: int) -> Opportunity:
    opportunity = get_opportunity(session, opportunity_id=opportunity_id)
    if opportunity.archived:
        raise RecordArchived(f"opportunity {opportunity_id} is archived")
    return opportunity


def update_opportunity(
    session: Session, *, opportunity_id: int, actor: User, values: dict[str, Any]
) -> Opportunity:
    opportunity = _editable(session, opportunity_id)
    if opportunity.stage in (Stage.won, Stage.lost):
        raise OpportunityClosed(f"opportunity {opportunity_id} is {opportunity.stage}")
    if "owner_id" in values:
        values = {**values, "owner_id": _owner(session, values["owner_id"], actor)}
    update_record(session, opportunity, entity="opportunity", values=values, actor=actor)
    return opportunity


def change_stage(
    session: Session, *, opportunity_id: int, actor: User, stage: Stage, lost_reason: str | None
) -> Opportunity:
    """Move along the pipeline; jumps are refused and 'lost' needs a reason."""
    opportunity = _editable(session, opportunity_id)
    if not rules.can_move(opportunity.stage, stage):
        raise IllegalStageChange(f"an opportunity cannot move from {opportunity.stage} to {stage}")
    if stage is Stage.lost and not (lost_reason and lost_reason.strip()):
        raise LostReasonRequired("say why the opportunity was lost (lost_reason)")
    previous = opportunity.stage
    opportunity.stage = stage
    opportunity.lost_reason = lost_reason.strip() if stage is Stage.lost and lost_reason else None
    # A probability nobody adjusted follows the stage; won and lost are certain.
    if stage in (Stage.won, Stage.lost) or (
        opportunity.probability == rules.DEFAULT_PROBABILITY[previous]
    ):
        opportunity.probability = rules.DEFAULT_PROBABILITY[stage]
    _touch(opportunity, actor)
    audit.record(
        session,
        entity="opportunity",
        entity_id=opportunity.id,
        action="stage",
        user_id=actor.id,
        changes={"stage": [previous.value, stage.value], "lost_reason": lost_reason},
    )
    session.flush()
    return opportunity


def archive_opportunity(session: Session, *, opportunity_id: int, actor: User) -> Opportunity:
    opportunity = get_opportunity(session, opportunity_id=opportunity_id)
    archive_record(session, opportunity, entity="opportunity", actor=actor)
    return opportunity


def list_opportunities(
    session: Session,
    *,
    limit: int,
    offset: int,
    customer_id: int | None = None,
    stage: Stage | None = None,
    owner_id: int | None = None,
    include_archived: bool = False,
) -> tuple[list[Opportunity], int]:
    stmt = select(Opportunity)
    if customer_id is not None:
        stmt = stmt.where(Opportunity.customer_id == customer_id)
    if stage is not None:
        stmt = stmt.where(Opportunity.stage == stage)
    if owner_id is not None:
        stmt = stmt.where(Opportunity.owner_id == owner_id)
    if not include_archived:
        stmt = stmt.where(Opportunity.archived_at.is_(None))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    order = (Opportunity.close_date.is_(None), Opportunity.close_date, Opportunity.id)
    rows = session.scalars(stmt.order_by(*order).limit(limit).offset(offset))
    return list(rows), total


SummaryRow = tuple[Stage, int, Decimal, Decimal]
# Built once with bind parameters, as the pages' reads below.
SUMMARY_ROWS = select(
    Opportunity.stage, Opportunity.expected_revenue, Opportunity.probability
).where(Opportunity.archived_at.is_(None))


def pipeline_summary(session: Session) -> list[SummaryRow]:
    """Per stage: count, expected revenue and probability-weighted revenue (rounded once)."""
    return summarize(session.execute(SUMMARY_ROWS).all())


def summarize(rows: Iterable[Any]) -> list[SummaryRow]:
    """``pipeline_summary`` of rows with ``stage``, ``expected_revenue`` and ``probability``
    (all live opportunities)."""
    items: dict[Stage, list[tuple[Decimal, int]]] = {stage: [] for stage in Stage}
    for row in rows:
        items[row.stage].append((row.expected_revenue, row.probability))
    summary = []
    for stage, found in items.items():
        revenue = round_cents(sum((r for r, _ in found), ZERO))
        summary.append((stage, len(found), revenue, rules.weighted_total(found)))
    return summary


# What the pages show of opportunities and activities: plain rows (no ORM objects to build and
# track), read with statements built once with bind parameters (building a statement and its
# cache key per call cost as much as running it), without the count the pages do not show.
OPPORTUNITY_ORDER = (Opportunity.close_date.is_(None), Opportunity.close_date, Opportunity.id)
BOARD = (
    select(
        Opportunity.id,
        Opportunity.customer_id,
        Customer.name.label("customer_name"),
        Opportunity.title,
        Opportunity.stage,
        Opportunity.probability,
        Opportunity.expected_revenue,
        Opportunity.close_date,
    )
    .outerjoin(Customer, Customer.id == Opportunity.customer_id)
    .where(Opportunity.archived_at.is_(None))
    .order_by(*OPPORTUNITY_ORDER)
    .limit(bindparam("limit"))
)
CUSTOMER_OPPORTUNITIES = (
    select(
        Opportunity.id,
        Opportunity.title,
        Opportunity.stage,
        Opportunity.lost_reason,
        Opportunity.probability,
        Opportunity.expected_revenue,
        Opportunity.close_date,
    )
    .where(Opportunity.customer_id == bindparam("customer_id"), Opportunity.archived_at.is_(None))
    .order_by(*OPPORTUNITY_ORDER)
    .limit(bindparam("limit"))
)


def board_rows(session: Session, *, limit: int) -> Sequence[Row[*tuple[Any, ...]]]:
    """The live opportunities as ``list_opportunities`` orders them, with the customer's name."""
    return session.execute(BOARD, {"limit": limit}).all()


def customer_opportunity_rows(
    session: Session, *, customer_id: int, limit: int
) -> Sequence[Row[*tuple[Any, ...]]]:
    """A customer's live opportunities as ``list_opportunities`` orders them."""
    params = {"customer_id": customer_id, "limit": limit}
    return session.execute(CUSTOMER_OPPORTUNITIES, params).all()


# Activities -----------------------------------------------------------------------------


def get_activity(session: Session, *, activity_id: int) -> Activity:
    activity = session.get(Activity, activity_id)
    if activity is None:
        raise ActivityNotFound(f"activity {activity_id} does not exist")
    return activity


def create_activity(session: Session, *, actor: User, values: dict[str, Any]) -> Activity:
    active_customer(session, customer_id=values["customer_id"])
    opportunity_id = values.get("opportunity_id")
    if opportunity_id is not None:
        opportunity = get_opportunity(session, opportunity_id=opportunity_id)
        if opportunity.customer_id != values["customer_id"]:
            raise OpportunityOfOtherCustomer(
                f"opportunity {opportunity_id} belongs to another customer"
            )
    activity = Activity(
        **{**values, "owner_id": _owner(session, values.get("owner_id"), actor)},
        created_by_id=actor.id,
        updated_by_id=actor.id,
    )
    session.add(activity)
    session.flush()
    audit.record(
        session,
        entity="activity",
        entity_id=activity.id,
        action="create",
        user_id=actor.id,
        changes=values,
    )
    return activity


def update_activity(
    session: Session, *, activity_id: int, actor: User, values: dict[str, Any]
) -> Activity:
    activity = get_activity(session, activity_id=activity_id)
    if activity.archived:
        raise RecordArchived(f"activity {activity_id} is archived")
    if "owner_id" in values:
        values = {**values, "owner_id": _owner(session, values["owner_id"], actor)}
    changed = update_record(session, activity, entity="activity", values=values, actor=actor)
    if "done" in changed:
        activity.done_at = utcnow() if activity.done else None
        session.flush()
    return activity


def archive_activity(session: Session, *, activity_id: int, actor: User) -> Activity:
    activity = get_activity(session, activity_id=activity_id)
    archive_record(session, activity, entity="activity", actor=actor)
    return activity


def list_activities(
    session: Session,
    *,
    limit: int,
    offset: int,
    customer_id: int | None = None,
    opportunity_id: int | None = None,
    owner_id: int | None = None,
    open_only: bool = False,
    include_archived: bool = False,
) -> tuple[list[Activity], int]:
    """Activities, the most urgent first (due date, then creation). Filters only filter:
    an unknown customer id gives an empty page, not a 404."""
    stmt = select(Activity)
    for column, value in (
        (Activity.customer_id, customer_id),
        (Activity.opportunity_id, opportunity_id),
        (Activity.owner_id, owner_id),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if open_only:
        stmt = stmt.where(Activity.done.is_(False))
    if not include_archived:
        stmt = stmt.where(Activity.archived_at.is_(None))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    order = (Activity.due_date.is_(None), Activity.due_date, Activity.id)
    return list(session.scalars(stmt.order_by(*order).limit(limit).offset(offset))), total


ACTIVITY_ORDER = (Activity.due_date.is_(None), Activity.due_date, Activity.id)
CUSTOMER_ACTIVITIES = (
    select(Activity.id, Activity.kind, Activity.subject, Activity.due_date, Activity.done)
    .where(Activity.customer_id == bindparam("customer_id"), Activity.archived_at.is_(None))
    .order_by(*ACTIVITY_ORDER)
    .limit(bindparam("limit"))
)
# The total comes with the page (a window over all matches): one query instead of two.
OPEN_ACTIVITIES_OF_OWNER = (
    select(
        Activity.id,
        Activity.kind,
        Activity.subject,
        Activity.due_date,
        Activity.customer_id,
        Customer.name.label("customer_name"),
        func.count().over().label("total"),
    )
    .outerjoin(Customer, Customer.id == Activity.customer_id)
    .where(
        Activity.owner_id == bindparam("owner_id"),
        Activity.done.is_(False),
        Activity.archived_at.is_(None),
    )
    .order_by(*ACTIVITY_ORDER)
    .limit(bindparam("limit"))
)


def customer_activity_rows(
    session: Session, *, customer_id: int, limit: int
) -> Sequence[Row[*tuple[Any, ...]]]:
    """A customer's live activities as ``list_activities`` orders them."""
    params = {"customer_id": customer_id, "limit": limit}
    return session.execute(CUSTOMER_ACTIVITIES, params).all()


def open_activity_rows(
    session: Session, *, owner_id: int, limit: int
) -> tuple[Sequence[Row[*tuple[Any, ...]]], int]:
    """An owner's first open activities (as ``list_activities`` orders them), with the
    customer's name, and how many are open in all."""
    rows = session.execute(OPEN_ACTIVITIES_OF_OWNER, {"owner_id": owner_id, "limit": limit}).all()
    return rows, int(rows[0].total) if rows else 0


def overdue(activity: Activity, today: date) -> bool:
    return not activity.done and activity.due_date is not None and activity.due_date < today
