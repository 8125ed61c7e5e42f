"""The personas' order-to-cash bookkeeping: every order and invoice goes to exactly one user,
orders are made of stocked articles, and instalments never pay more than is open."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import pytest

from load.personas.flow import (
    Claims,
    Partition,
    instalment,
    open_amounts,
    order_lines,
    stocked_articles,
    uninvoiced,
)


@pytest.mark.parametrize(
    ("processes", "worker_index", "expected"),
    [(0, 0, Partition(0, 1)), (None, None, Partition(0, 1)), (3, 4, Partition(1, 3)),
     (2, -1, Partition(0, 2))],
)  # fmt: skip
def test_a_process_knows_its_share(
    processes: int | None, worker_index: int | None, expected: Partition
) -> None:
    assert Partition.of(processes, worker_index) == expected


def test_each_id_goes_to_exactly_one_user_of_exactly_one_process() -> None:
    ids = list(range(1, 101))
    processes = [Partition(i, 3) for i in range(3)]
    taken: list[int] = []
    for partition in processes:
        claims = Claims()  # one registry per process
        for user_view in (ids[:60], ids[40:], ids, ids[::-1]):  # overlapping lists
            mine = claims.take(user_view, partition)
            assert all(partition.owns(i) for i in mine)
            taken += mine
    assert sorted(taken) == ids  # everyone once, no one twice
    claims = Claims()
    assert claims.take([5, 5, 7], Partition()) == [5, 7]
    assert claims.take([7, 8], Partition()) == [8]


def order(
    order_id: int, reference: str, lines: list[tuple[int, int, int]], warehouse: int = 1
) -> dict[str, Any]:
    """A sales order as the API shows it; lines of (article, delivered, invoiced)."""
    return {
        "id": order_id,
        "customer_reference": reference,
        "warehouse_id": warehouse,
        "lines": [
            {"article_id": a, "delivered_quantity": d, "invoiced_quantity": i} for a, d, i in lines
        ],
    }


def test_orders_are_taken_of_the_stocked_volume_articles() -> None:
    seeded = [
        order(3, "VOL-000003", [(40, 0, 0), (41, 0, 0)], warehouse=2),
        order(2, "BEST-K10001-1", [(1, 0, 0)]),
        order(1, "VOL-000001", [(41, 0, 0), (57, 0, 0)], warehouse=2),
    ]
    assert stocked_articles(seeded) == ([40, 41, 57], 2)
    assert stocked_articles(seeded[1:2]) == ([1], 1)  # no volume: whatever there is
    assert stocked_articles([]) == ([], None)
    rng = random.Random(1)  # noqa: S311  (test data)
    for _ in range(200):
        lines = order_lines([40, 41, 57, 60], rng)
        assert 1 <= len(lines) <= 3
        assert len({li["article_id"] for li in lines}) == len(lines)
        assert all(1 <= li["quantity"] <= 3 for li in lines)
    assert len(order_lines([40], rng)) == 1


def test_only_orders_with_delivered_lines_not_invoiced_are_billed() -> None:
    orders = [
        order(1, "", [(1, 2, 2), (2, 1, 1)]),  # invoiced
        order(2, "", [(1, 2, 2), (2, 3, 1)]),  # partly invoiced
        order(3, "", [(1, 0, 0)]),
    ]
    assert uninvoiced(orders) == [2]


def test_open_amounts_and_instalments_pay_exactly_what_is_open() -> None:
    invoices = [
        {"id": 7, "open_amount": "119.01"},
        {"id": 8, "open_amount": "0.00"},
        {"id": 9, "open_amount": "0.01"},
    ]
    assert open_amounts(invoices) == {7: Decimal("119.01"), 9: Decimal("0.01")}
    rng = random.Random(3)  # noqa: S311  (test data)
    halves = 0
    for _ in range(100):
        remaining = Decimal("119.01")
        while remaining:
            paid = instalment(remaining, rng)
            assert Decimal("0.01") <= paid <= remaining
            halves += paid != remaining
            remaining -= paid
    assert halves > 0
    assert instalment(Decimal("0.01"), rng) == Decimal("0.01")
