from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from erp.crm import rules
from erp.crm.models import Stage
from erp.money import round_cents


@pytest.mark.parametrize(
    "vat_id", ["DE136695976", "de 136 695 976", "DE-136.695.976", "ATU12345678"]
)
def test_valid_vat_ids(vat_id: str) -> None:
    assert rules.vat_id_problem(vat_id) is None


@pytest.mark.parametrize(
    ("vat_id", "reason"),
    [
        ("DE136695977", "check digit"),
        ("DE12345678", "format"),
        ("DE1234567890", "format"),
        ("DEX23456789", "format"),
        ("XX123456789", "unsupported"),
    ],
)
def test_invalid_vat_ids(vat_id: str, reason: str) -> None:
    problem = rules.vat_id_problem(vat_id)
    assert problem is not None
    assert reason in problem


def test_exactly_one_check_digit_is_right_for_each_german_stem() -> None:
    stem = "DE13669597"
    valid = [d for d in "0123456789" if rules.de_vat_id_checksum_ok(stem + d)]
    assert valid == ["6"]


ALLOWED = {
    (Stage.lead, Stage.qualified),
    (Stage.lead, Stage.lost),
    (Stage.qualified, Stage.lead),
    (Stage.qualified, Stage.proposal),
    (Stage.qualified, Stage.lost),
    (Stage.proposal, Stage.qualified),
    (Stage.proposal, Stage.won),
    (Stage.proposal, Stage.lost),
}


@pytest.mark.parametrize("current", list(Stage))
@pytest.mark.parametrize("target", list(Stage))
def test_stage_transition_table(current: Stage, target: Stage) -> None:
    assert rules.can_move(current, target) == ((current, target) in ALLOWED)


def test_weighted_total_rounds_once_half_up() -> None:
    # 3 × 33 % of 0.05 € = 0.0495 € → 0.05 € rounded once; rounding each 0.0165 € gives 0.06 €.
    items = [(Decimal("0.05"), 33)] * 3
    assert rules.weighted_total(items) == Decimal("0.05")
    assert sum(round_cents(rules.weighted(r, p)) for r, p in items) == Decimal("0.06")


@given(
    st.lists(
        st.tuples(
            st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False),
            st.integers(min_value=0, max_value=100),
        ),
        max_size=30,
    )
)
def test_weighted_total_never_exceeds_expected_revenue(items: list[tuple[Decimal, int]]) -> None:
    total = rules.weighted_total(items)
    assert Decimal(0) <= total <= round_cents(sum((r for r, _ in items), Decimal(0)))
    assert total == total.quantize(Decimal("0.01"))
