"""Pure stock rules: quantities, signs, the moving average cost, adjustments. No database here.

Rounding happens in exactly one place: ``moving_average`` rounds the new average cost per
unit half-up to cents each time stock comes in at a cost different from the average. Outgoing
stock is valued at that (already rounded) average; quantity × average is exact.
"""

from __future__ import annotations

from decimal import Decimal

from erp.errors import Conflict, DomainError
from erp.money import CENT, is_cents
from erp.stock.models import MovementKind

SKU_PATTERN = r"^[A-Z0-9][A-Z0-9._-]{0,39}$"
WAREHOUSE_CODE_PATTERN = r"^[A-Z0-9][A-Z0-9._-]{0,19}$"
MAX_QUANTITY = 1_000_000  # per movement
MAX_ON_HAND = 1_000_000_000  # per article and warehouse
VAT_RATES = (19, 7)
REFERENCE_LENGTH = 36
REASON_LENGTH = 200
INCOMING = frozenset({MovementKind.receipt, MovementKind.transfer_in})
OUTGOING = frozenset({MovementKind.issue, MovementKind.transfer_out})


class InvalidMovement(DomainError):
    status, title, slug = 422, "Invalid stock movement", "invalid-stock-movement"


class StockLimitExceeded(Conflict):
    slug = "stock-limit-exceeded"


class BelowReserved(Conflict):
    """An adjustment may not take stock below zero or below what orders have reserved."""

    slug = "stock-below-reserved"


class NoDifference(Conflict):
    """A count equal to the stock on hand (or a delta of 0) changes nothing: no movement."""

    slug = "stock-no-difference"


def tax_codes(vat_rate: int) -> tuple[str, str]:
    """The sales and the purchase tax code of a VAT rate: 19 → (USt19, VSt19)."""
    if vat_rate not in VAT_RATES:
        raise ValueError(f"VAT rate {vat_rate} is not one of {VAT_RATES}")
    return f"USt{vat_rate}", f"VSt{vat_rate}"


def check_quantity(quantity: int) -> int:
    """A movement's quantity: a whole number of units, 1 … MAX_QUANTITY."""
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise InvalidMovement(f"a quantity is a whole number of units, not {quantity!r}")
    if not 1 <= quantity <= MAX_QUANTITY:
        raise InvalidMovement(f"a quantity lies between 1 and {MAX_QUANTITY}, not {quantity}")
    return quantity


def check_cost(unit_cost: Decimal) -> Decimal:
    if not isinstance(unit_cost, Decimal) or not unit_cost.is_finite():
        raise InvalidMovement(f"a unit cost is a Decimal, not {unit_cost!r}")
    if unit_cost < 0 or not is_cents(unit_cost):
        raise InvalidMovement(f"a unit cost is not negative and in whole cents, not {unit_cost}")
    return unit_cost.quantize(CENT)


def check_text(value: str, *, name: str, length: int, required: bool = False) -> str:
    if len(value) > length:
        raise InvalidMovement(f"the {name} has at most {length} characters")
    if required and not value.strip():
        raise InvalidMovement(f"an adjustment needs a {name}")
    return value


def sign_matches(kind: MovementKind, quantity: int) -> bool:
    """The ledger's sign rule (also a CHECK constraint): + in, − out, adjustments either."""
    if quantity == 0:
        return False
    if kind in INCOMING:
        return quantity > 0
    if kind in OUTGOING:
        return quantity < 0
    return True


def moving_average(on_hand: int, average: Decimal, quantity: int, unit_cost: Decimal) -> Decimal:
    """Gleitender Durchschnitt after ``quantity`` units come in at ``unit_cost``:
    (on_hand × average + quantity × unit_cost) / (on_hand + quantity), half-up to cents.

    Computed in integer cents, so the only rounding is the final half-up one.
    """
    if on_hand < 0 or quantity <= 0:
        raise ValueError("stock on hand is never negative and an inflow is positive")
    total = on_hand + quantity
    numerator = on_hand * int(average.scaleb(2)) + quantity * int(unit_cost.scaleb(2))
    cents = (2 * numerator + total) // (2 * total)  # half-up for non-negative numbers
    return Decimal(cents).scaleb(-2).quantize(CENT)


def adjustment_delta(
    on_hand: int, reserved: int, *, counted: int | None = None, delta: int | None = None
) -> int:
    """The signed quantity an inventory adjustment books: to a count, or by a delta."""
    if (counted is None) == (delta is None):
        raise InvalidMovement("adjust either to a counted quantity or by a delta")
    if counted is not None:
        if isinstance(counted, bool) or not 0 <= counted <= MAX_ON_HAND:
            raise InvalidMovement(f"a counted quantity lies between 0 and {MAX_ON_HAND}")
        change = counted - on_hand
    else:
        assert delta is not None
        if isinstance(delta, bool) or not -MAX_QUANTITY <= delta <= MAX_QUANTITY:
            raise InvalidMovement(f"a delta lies between -{MAX_QUANTITY} and {MAX_QUANTITY}")
        change = delta
    if change == 0:
        raise NoDifference(f"the stock on hand is {on_hand} already: nothing to adjust")
    result = on_hand + change
    if result < reserved:
        raise BelowReserved(
            f"the adjustment would leave {result} on hand, below zero or below the"
            f" {reserved} reserved"
        )
    if result > MAX_ON_HAND:
        raise StockLimitExceeded(f"at most {MAX_ON_HAND} units per article and warehouse")
    return change


def check_inflow(on_hand: int, quantity: int) -> None:
    if on_hand + quantity > MAX_ON_HAND:
        raise StockLimitExceeded(
            f"{on_hand} on hand + {quantity} exceeds {MAX_ON_HAND} units per article and warehouse"
        )
