from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from erp.auth.models import User
from erp.crm import pipeline
from erp.crm.models import ActivityKind, Customer, Opportunity, Stage


@pytest.fixture
def deal(db: Session, seller: User, customer: Customer) -> Opportunity:
    return pipeline.create_opportunity(
        db,
        actor=seller,
        values={
            "customer_id": customer.id,
            "title": "Rahmenvertrag",
            "expected_revenue": Decimal("10000.00"),
            "close_date": date(2027, 3, 31),
        },
    )


def move(
    db: Session, seller: User, deal: Opportunity, stage: Stage, reason: str | None = None
) -> None:
    pipeline.change_stage(db, opportunity_id=deal.id, actor=seller, stage=stage, lost_reason=reason)


def test_new_opportunity_is_a_lead_owned_by_its_creator(deal: Opportunity, seller: User) -> None:
    assert (deal.stage, deal.probability, deal.owner_id) == (Stage.lead, 10, seller.id)


def test_walk_to_won_adjusts_untouched_probability(
    db: Session, seller: User, deal: Opportunity
) -> None:
    move(db, seller, deal, Stage.qualified)
    assert deal.probability == 25
    pipeline.update_opportunity(
        db, opportunity_id=deal.id, actor=seller, values={"probability": 40}
    )
    move(db, seller, deal, Stage.proposal)
    assert deal.probability == 40  # a hand-set probability is kept
    move(db, seller, deal, Stage.won)
    assert (deal.stage, deal.probability) == (Stage.won, 100)
    with pytest.raises(pipeline.OpportunityClosed):
        pipeline.update_opportunity(db, opportunity_id=deal.id, actor=seller, values={"title": "x"})


def test_jumps_and_moves_out_of_final_stages_are_refused(
    db: Session, seller: User, deal: Opportunity
) -> None:
    with pytest.raises(pipeline.IllegalStageChange):
        move(db, seller, deal, Stage.won)
    with pytest.raises(pipeline.IllegalStageChange):
        move(db, seller, deal, Stage.lead)
    move(db, seller, deal, Stage.lost, "Preis zu hoch")
    with pytest.raises(pipeline.IllegalStageChange):
        move(db, seller, deal, Stage.qualified)


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_lost_needs_a_reason(
    db: Session, seller: User, deal: Opportunity, reason: str | None
) -> None:
    with pytest.raises(pipeline.LostReasonRequired):
        move(db, seller, deal, Stage.lost, reason)
    assert deal.stage is Stage.lead


def test_lost_records_reason_and_zero_probability(
    db: Session, seller: User, deal: Opportunity
) -> None:
    move(db, seller, deal, Stage.lost, " Wettbewerber günstiger ")
    assert (deal.stage, deal.probability, deal.lost_reason) == (
        Stage.lost,
        0,
        "Wettbewerber günstiger",
    )


def test_pipeline_summary_counts_and_weights_per_stage(
    db: Session, seller: User, customer: Customer, deal: Opportunity
) -> None:
    other = pipeline.create_opportunity(
        db,
        actor=seller,
        values={
            "customer_id": customer.id,
            "title": "B",
            "expected_revenue": Decimal("333.33"),
            "probability": 33,
        },
    )
    archived = pipeline.create_opportunity(
        db,
        actor=seller,
        values={"customer_id": customer.id, "title": "C", "expected_revenue": Decimal("999.00")},
    )
    pipeline.archive_opportunity(db, opportunity_id=archived.id, actor=seller)
    summary = {s: (n, r, w) for s, n, r, w in pipeline.pipeline_summary(db)}
    # 10 % of 10000.00 + 33 % of 333.33 = 1000 + 109.9989 → 1110.00 (rounded once)
    assert summary[Stage.lead] == (2, Decimal("10333.33"), Decimal("1110.00"))
    assert summary[Stage.won] == (0, Decimal("0.00"), Decimal("0.00"))
    assert other.probability == 33


def test_unknown_owner_is_refused(db: Session, seller: User, customer: Customer) -> None:
    with pytest.raises(pipeline.UnknownOwner):
        pipeline.create_opportunity(
            db,
            actor=seller,
            values={
                "customer_id": customer.id,
                "title": "T",
                "expected_revenue": Decimal("1.00"),
                "owner_id": 424242,
            },
        )


def test_my_open_activities_most_urgent_first(
    db: Session, seller: User, customer: Customer, deal: Opportunity
) -> None:
    def log(subject: str, due: date | None) -> int:
        return pipeline.create_activity(
            db,
            actor=seller,
            values={
                "customer_id": customer.id,
                "opportunity_id": deal.id,
                "kind": ActivityKind.task,
                "subject": subject,
                "due_date": due,
            },
        ).id

    later, undated, soon = (
        log("later", date(2027, 2, 1)),
        log("undated", None),
        log("soon", date(2027, 1, 1)),
    )
    pipeline.update_activity(db, activity_id=later, actor=seller, values={"done": True})
    rows, total = pipeline.list_activities(
        db, limit=10, offset=0, owner_id=seller.id, open_only=True
    )
    assert [a.id for a in rows] == [soon, undated]
    assert total == 2
    done = pipeline.get_activity(db, activity_id=later)
    assert done.done_at is not None
    assert pipeline.overdue(pipeline.get_activity(db, activity_id=soon), date(2027, 1, 2))


def test_activity_opportunity_must_belong_to_the_customer(
    db: Session, seller: User, customer: Customer, deal: Opportunity
) -> None:
    from erp.crm import service
    from tests.unit.crm.conftest import customer_values

    stranger = service.create_customer(db, actor=seller, values=customer_values(name="Fremd"))
    with pytest.raises(pipeline.OpportunityOfOtherCustomer):
        pipeline.create_activity(
            db,
            actor=seller,
            values={
                "customer_id": stranger.id,
                "opportunity_id": deal.id,
                "kind": ActivityKind.note,
                "subject": "x",
            },
        )
