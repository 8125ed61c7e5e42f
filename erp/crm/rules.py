"""CRM rules as pure functions: VAT ids, pipeline stages, weighted revenue."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal

from erp.crm.models import Stage
from erp.money import ZERO, round_cents

# Where a stage may move, the usual next step first. Won and lost are final; lost is
# reachable from every open stage; one step back is allowed, jumps are not.
TRANSITIONS: dict[Stage, tuple[Stage, ...]] = {
    Stage.lead: (Stage.qualified, Stage.lost),
    Stage.qualified: (Stage.proposal, Stage.lead, Stage.lost),
    Stage.proposal: (Stage.won, Stage.qualified, Stage.lost),
    Stage.won: (),
    Stage.lost: (),
}
DEFAULT_PROBABILITY = {
    Stage.lead: 10,
    Stage.qualified: 25,
    Stage.proposal: 50,
    Stage.won: 100,
    Stage.lost: 0,
}
OPEN_STAGES = (Stage.lead, Stage.qualified, Stage.proposal)

# German USt-IdNr.: "DE" and nine digits; other EU states by their published shapes.
VAT_ID_PATTERNS = {
    "DE": r"DE[0-9]{9}",
    "AT": r"ATU[0-9]{8}",
    "NL": r"NL[0-9]{9}B[0-9]{2}",
    "FR": r"FR[0-9A-Z]{2}[0-9]{9}",
    "IT": r"IT[0-9]{11}",
    "ES": r"ES[0-9A-Z][0-9]{7}[0-9A-Z]",
    "BE": r"BE[01][0-9]{9}",
    "PL": r"PL[0-9]{10}",
    "CH": r"CHE[0-9]{9}(MWST|TVA|IVA)?",
}


def normalize_vat_id(raw: str) -> str:
    return re.sub(r"[\s.\-]", "", raw).upper()


def de_vat_id_checksum_ok(vat_id: str) -> bool:
    """The check digit of a German USt-IdNr. (ISO 7064, MOD 11,10), as the BZSt computes it."""
    digits = [int(c) for c in vat_id[2:]]
    product = 10
    for digit in digits[:8]:
        total = (digit + product) % 10 or 10
        product = (2 * total) % 11
    check = (11 - product) % 10
    return check == digits[8]


def vat_id_problem(raw: str) -> str | None:
    """Why ``raw`` is no valid VAT id, or None when it is one."""
    vat_id = normalize_vat_id(raw)
    pattern = VAT_ID_PATTERNS.get(vat_id[:2])
    if pattern is None:
        return f"unsupported country prefix {vat_id[:2]!r}"
    if not re.fullmatch(pattern, vat_id):
        return f"{vat_id} does not have the format of a {vat_id[:2]} VAT id"
    if vat_id.startswith("DE") and not de_vat_id_checksum_ok(vat_id):
        return f"{vat_id} has a wrong check digit"
    return None


def can_move(current: Stage, target: Stage) -> bool:
    return target in TRANSITIONS[current]


def weighted(revenue: Decimal, probability: int) -> Decimal:
    """Unrounded: sum first, round once."""
    return revenue * probability / 100


def weighted_total(items: Iterable[tuple[Decimal, int]]) -> Decimal:
    return round_cents(sum((weighted(r, p) for r, p in items), ZERO))
