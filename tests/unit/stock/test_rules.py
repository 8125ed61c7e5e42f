"""The pure stock rules: quantities, signs, the moving average by hand, adjustments."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from erp.stock import rules
from erp.stock.models import MovementKind

D = Decimal


@pytest.mark.parametrize(
    ("on_hand", "average", "quantity", "cost", "expected"),
    [
        (0, "0.00", 10, "2.00", "2.00"),  # the first receipt sets the average
        (10, "2.00", 5, "3.00", "2.33"),  # (20.00 + 15.00) / 15 = 2.3333…
        (10, "2.00", 20, "3.00", "2.67"),  # (20.00 + 60.00) / 30 = 2.6666…
        (1, "0.01", 1, "0.02", "0.02"),  # 0.015: half-up
        (3, "0.01", 1, "0.02", "0.01"),  # 0.0125
        (1, "1.00", 1, "0.00", "0.50"),  # a free unit halves the average
        (5, "4.00", 5, "4.00", "4.00"),  # same cost: the average stays
        (0, "7.77", 1, "1.00", "1.00"),  # an empty level forgets its old average
    ],
)
def test_moving_average_by_hand(
    on_hand: int, average: str, quantity: int, cost: str, expected: str
) -> None:
    assert rules.moving_average(on_hand, D(average), quantity, D(cost)) == D(expected)


money = st.integers(min_value=0, max_value=99_999_999_999_999).map(lambda c: D(c).scaleb(-2))


@given(
    on_hand=st.integers(min_value=0, max_value=rules.MAX_ON_HAND),
    average=money,
    quantity=st.integers(min_value=1, max_value=rules.MAX_QUANTITY),
    cost=money,
)
def test_moving_average_is_the_exact_mean_rounded_half_up_once(
    on_hand: int, average: Decimal, quantity: int, cost: Decimal
) -> None:
    result = rules.moving_average(on_hand, average, quantity, cost)
    exact = (on_hand * Fraction(average) + quantity * Fraction(cost)) / (on_hand + quantity)
    cents = exact * 100
    floor = cents.numerator // cents.denominator
    expected = floor + (1 if cents - floor >= Fraction(1, 2) else 0)
    assert result == D(expected).scaleb(-2)
    assert min(average, cost) <= result <= max(average, cost)
    assert result == result.quantize(D("0.01"), rounding=ROUND_HALF_UP)


def test_moving_average_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="never negative"):
        rules.moving_average(-1, D("1.00"), 1, D("1.00"))
    with pytest.raises(ValueError, match="positive"):
        rules.moving_average(1, D("1.00"), 0, D("1.00"))


@pytest.mark.parametrize(
    ("kind", "quantity", "ok"),
    [
        (MovementKind.receipt, 5, True),
        (MovementKind.receipt, -5, False),
        (MovementKind.transfer_in, 1, True),
        (MovementKind.transfer_in, -1, False),
        (MovementKind.issue, -2, True),
        (MovementKind.issue, 2, False),
        (MovementKind.transfer_out, -3, True),
        (MovementKind.transfer_out, 3, False),
        (MovementKind.adjustment, 4, True),
        (MovementKind.adjustment, -4, True),
        (MovementKind.adjustment, 0, False),
        (MovementKind.receipt, 0, False),
    ],
)
def test_the_sign_matches_the_kind(kind: MovementKind, quantity: int, ok: bool) -> None:
    assert rules.sign_matches(kind, quantity) is ok


@pytest.mark.parametrize("quantity", [0, -1, rules.MAX_QUANTITY + 1, True, 1.0, "3"])
def test_quantities_are_whole_positive_bounded(quantity: object) -> None:
    with pytest.raises(rules.InvalidMovement):
        rules.check_quantity(quantity)  # type: ignore[arg-type]


def test_valid_quantities_pass() -> None:
    assert rules.check_quantity(1) == 1
    assert rules.check_quantity(rules.MAX_QUANTITY) == rules.MAX_QUANTITY


@pytest.mark.parametrize("cost", [D("-0.01"), D("0.001"), D("NaN"), 1.5, "1.00"])
def test_costs_are_cents_not_negative(cost: object) -> None:
    with pytest.raises(rules.InvalidMovement):
        rules.check_cost(cost)  # type: ignore[arg-type]


def test_costs_are_normalised_to_cents() -> None:
    assert str(rules.check_cost(D("2"))) == "2.00"
    assert rules.check_cost(D("0")) == D("0.00")


def test_texts_are_bounded_and_a_required_reason_is_not_blank() -> None:
    assert rules.check_text("WE-1", name="reference", length=36) == "WE-1"
    with pytest.raises(rules.InvalidMovement, match="at most 36"):
        rules.check_text("x" * 37, name="reference", length=36)
    with pytest.raises(rules.InvalidMovement, match="needs a reason"):
        rules.check_text("  ", name="reason", length=200, required=True)


def test_vat_rates_give_sales_and_purchase_tax_codes() -> None:
    assert rules.tax_codes(19) == ("USt19", "VSt19")
    assert rules.tax_codes(7) == ("USt7", "VSt7")
    with pytest.raises(ValueError, match="not one of"):
        rules.tax_codes(16)


def test_adjustment_to_a_count_or_by_a_delta() -> None:
    assert rules.adjustment_delta(10, 0, counted=7) == -3
    assert rules.adjustment_delta(10, 0, counted=12) == 2
    assert rules.adjustment_delta(10, 4, delta=-6) == -6  # down to exactly the reserved
    assert rules.adjustment_delta(0, 0, delta=5) == 5


def test_adjustments_never_go_below_reserved_or_zero() -> None:
    with pytest.raises(rules.BelowReserved, match="4 reserved"):
        rules.adjustment_delta(10, 4, counted=3)
    with pytest.raises(rules.BelowReserved):
        rules.adjustment_delta(2, 0, delta=-3)


def test_adjustments_that_change_nothing_or_are_ambiguous_are_refused() -> None:
    with pytest.raises(rules.NoDifference):
        rules.adjustment_delta(5, 0, counted=5)
    with pytest.raises(rules.NoDifference):
        rules.adjustment_delta(5, 0, delta=0)
    with pytest.raises(rules.InvalidMovement, match="either"):
        rules.adjustment_delta(5, 0, counted=1, delta=1)
    with pytest.raises(rules.InvalidMovement, match="either"):
        rules.adjustment_delta(5, 0)
    with pytest.raises(rules.InvalidMovement, match="counted"):
        rules.adjustment_delta(5, 0, counted=-1)
    with pytest.raises(rules.InvalidMovement, match="delta"):
        rules.adjustment_delta(5, 0, delta=rules.MAX_QUANTITY + 1)


def test_stock_per_article_and_warehouse_is_bounded() -> None:
    rules.check_inflow(rules.MAX_ON_HAND - 1, 1)
    with pytest.raises(rules.StockLimitExceeded):
        rules.check_inflow(rules.MAX_ON_HAND, 1)
    with pytest.raises(rules.StockLimitExceeded):
        rules.adjustment_delta(rules.MAX_ON_HAND, 0, delta=1)
