"""Order-to-cash through the API on SQLite and PostgreSQL, and its atomicity: a crash in
the middle of any step (confirm, deliver, invoice, pay, correct) leaves nothing of it behind
and gives its document number to the next attempt."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from erp.fibu import journal
from erp.sales import service
from erp.stock import ledger
from tests.conftest import Account
from tests.unit.sales.shop import DAY, Shop, shop

__all__ = ["shop"]  # the fixture


class Crash(SystemError):
    """The process dies in the middle of the operation."""


def crash(*_args: Any, **_kwargs: Any) -> Any:
    raise Crash("the process died halfway through")


def confirmed(shop: Shop, *lines: tuple[dict[str, Any], int]) -> dict[str, Any]:
    draft = shop.order(*lines)
    return shop.post(f"/sales-orders/{draft['id']}/confirm", shop.sales, status=200)  # type: ignore[no-any-return]


def delivered(shop: Shop) -> dict[str, Any]:
    order = confirmed(shop, (shop.drill, 2), (shop.coffee, 3))
    shop.post(f"/sales-orders/{order['id']}/deliveries", shop.warehouse, {"delivery_date": DAY})
    return order


def invoiced(shop: Shop) -> dict[str, Any]:
    order = delivered(shop)
    return shop.post(  # type: ignore[no-any-return]
        f"/sales-orders/{order['id']}/invoices", shop.accounting, {"invoice_date": DAY}
    )


def posted_entries(shop: Shop) -> int:
    return shop.get("/journal-entries", shop.accounting, limit=1)["total"]  # type: ignore[no-any-return]


def test_order_to_cash_balances_the_books(shop: Shop) -> None:
    invoice = invoiced(shop)
    # 2 × 19.99 = 39.98 → 7.60; 3 × 12.49 = 37.47 → 2.6229 → 2.62
    assert (invoice["net_total"], invoice["tax_total"], invoice["gross_total"]) == (
        "77.45",
        "10.22",
        "87.67",
    )
    shop.post(
        f"/invoices/{invoice['id']}/payments",
        shop.accounting,
        {"amount": "50.00", "payment_date": DAY},
    )
    items = shop.get("/reports/open-items", shop.accounting, kind="debitor")["accounts"]
    assert [(i["reference"], i["amount"]) for a in items for i in a["items"]] == [
        ("RE2026-00001", "37.67")
    ]
    trial = shop.get(
        "/reports/trial-balance", shop.accounting, date_from="2026-01-01", date_to="2026-12-31"
    )
    balances = {row["number"]: row["closing"] for row in trial["rows"]}
    assert (balances[1776], balances[1771], balances[1200]) == ("-7.60", "-2.62", "50.00")
    assert (trial["debit"], trial["closing"]) == (trial["credit"], "0.00")
    assert shop.level(shop.drill) == (48, 0)


Attempt = Callable[[], Any]


def _request(
    shop: Shop, who: Account, path: str, body: Any, status: int
) -> tuple[Attempt, Attempt]:
    """(the raw attempt, a retry that must succeed and returns the new document's number)."""

    def attempt() -> Any:
        return shop.client.post(f"/api/v1{path}", json=body, headers=who.headers)

    def retry() -> Any:
        return shop.post(path, who, body, status=status)["number"]

    return attempt, retry


def confirm_step(shop: Shop) -> tuple[Attempt, Attempt]:
    draft = shop.order((shop.drill, 2), (shop.coffee, 3))
    return _request(shop, shop.sales, f"/sales-orders/{draft['id']}/confirm", None, 200)


def deliver_step(shop: Shop) -> tuple[Attempt, Attempt]:
    order = confirmed(shop, (shop.drill, 2), (shop.coffee, 3))
    path = f"/sales-orders/{order['id']}/deliveries"
    return _request(shop, shop.warehouse, path, {"delivery_date": DAY}, 201)


def invoice_step(shop: Shop) -> tuple[Attempt, Attempt]:
    order = delivered(shop)
    path = f"/sales-orders/{order['id']}/invoices"
    return _request(shop, shop.accounting, path, {"invoice_date": DAY}, 201)


def pay_step(shop: Shop) -> tuple[Attempt, Attempt]:
    invoice = invoiced(shop)
    body = {"amount": "10.00", "payment_date": DAY}
    return _request(shop, shop.accounting, f"/invoices/{invoice['id']}/payments", body, 201)


def correct_step(shop: Shop) -> tuple[Attempt, Attempt]:
    invoice = invoiced(shop)
    body = {"invoice_date": DAY, "reason": "Preis falsch"}
    return _request(shop, shop.accounting, f"/invoices/{invoice['id']}/correction", body, 201)


# step → (how to set it up, where the crash is injected, the number the retry must get)
CRASHES: dict[str, tuple[Callable[[Shop], tuple[Attempt, Attempt]], tuple[Any, str], str]] = {
    # after every line is reserved, before the number is drawn
    "confirm": (confirm_step, (service, "document_number"), "AU2026-00001"),
    # after the first line's stock level is written, before its ledger line
    "deliver": (deliver_step, (ledger, "_after_level_write"), "LS2026-00001"),
    # after the journal entry and its lines are written, before posting (numbers drawn)
    "invoice": (invoice_step, (journal, "post_entry"), "RE2026-00001"),
    "pay": (pay_step, (journal, "post_entry"), "ZE2026-00001"),
    "correct": (correct_step, (journal, "post_entry"), "RE2026-00002"),
}


def snapshot(shop: Shop) -> dict[str, Any]:
    """Everything a step may change, as the API shows it."""
    return {
        "orders": shop.get("/sales-orders", shop.admin, limit=100)["items"],
        "invoices": shop.get("/invoices", shop.admin, limit=100)["items"],
        "levels": [shop.level(shop.drill), shop.level(shop.coffee)],
        "movements": shop.get("/stock/movements", shop.admin, limit=1)["total"],
        "entries": posted_entries(shop),
    }


@pytest.mark.parametrize("step", CRASHES)
def test_a_crash_halfway_leaves_nothing(
    shop: Shop, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    setup, (module, name), number = CRASHES[step]
    attempt, retry = setup(shop)
    before = snapshot(shop)
    with monkeypatch.context() as patch:
        patch.setattr(module, name, crash)
        reply = attempt()
    assert reply.status_code == 500, reply.text
    assert snapshot(shop) == before
    assert retry() == number  # the crashed attempt's number was not used up
