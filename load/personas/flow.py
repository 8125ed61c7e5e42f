"""Order-to-cash bookkeeping for the personas, free of Locust (unit-tested on its own).

Many users work the same flow: the warehouse ships confirmed orders, accounting bills the
delivered ones and books payments on open invoices. Two users acting on the same order or
invoice would make the second request a 409 (nothing left to deliver, to invoice, or to
pay), so every order and invoice goes to exactly one user:

- across Locust processes by id: process ``i`` of ``n`` takes only ids with ``id % n == i``;
- within a process by a claim: ``Claims.take`` hands each id to the first user asking for
  it and to no other (users are greenlets: nothing switches between the check and the add).

A user keeps what it took in its own queue and acts on it later, one request per task.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Any

VOLUME_REFERENCE = "VOL-"  # erp.demo_volume: orders on the volume articles, stocked for load
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Partition:
    """This Locust process's share of the ids: ``id % count == index``."""

    index: int = 0
    count: int = 1

    @classmethod
    def of(cls, processes: int | None, worker_index: int | None) -> Partition:
        count = max(1, processes or 1)
        return cls(max(0, worker_index or 0) % count, count)

    def owns(self, item_id: int) -> bool:
        return item_id % self.count == self.index


class Claims:
    """Ids handed out once within this process."""

    def __init__(self) -> None:
        self._taken: set[int] = set()

    def take(self, ids: Iterable[int], partition: Partition) -> list[int]:
        fresh = [i for i in dict.fromkeys(ids) if partition.owns(i) and i not in self._taken]
        self._taken.update(fresh)
        return fresh


# One registry per step, shared by the users of this process.
DELIVERIES = Claims()
INVOICING = Claims()
PAYMENTS = Claims()


def stocked_articles(orders: list[dict[str, Any]]) -> tuple[list[int], int | None]:
    """(article ids, warehouse id) from seeded orders: the volume orders' articles are stocked
    for load runs (the few demo articles are not), so ordering them never runs out."""
    volume = [
        o for o in orders if str(o.get("customer_reference", "")).startswith(VOLUME_REFERENCE)
    ]
    chosen = volume or orders
    articles = sorted({int(li["article_id"]) for o in chosen for li in o["lines"]})
    return articles, int(chosen[0]["warehouse_id"]) if chosen else None


def order_lines(articles: list[int], rng: random.Random) -> list[dict[str, int]]:
    """One to three different articles, one to three units each."""
    picked = rng.sample(articles, k=min(len(articles), rng.randint(1, 3)))
    return [{"article_id": a, "quantity": rng.randint(1, 3)} for a in picked]


def uninvoiced(orders: list[dict[str, Any]]) -> list[int]:
    """Ids of the orders with delivered lines not invoiced yet."""
    return [
        int(o["id"])
        for o in orders
        if any(li["delivered_quantity"] > li["invoiced_quantity"] for li in o["lines"])
    ]


def open_amounts(invoices: list[dict[str, Any]]) -> dict[int, Decimal]:
    """Invoice id → what is open on it."""
    return {
        int(i["id"]): Decimal(str(i["open_amount"]))
        for i in invoices
        if Decimal(str(i["open_amount"])) > 0
    }


def instalment(open_amount: Decimal, rng: random.Random) -> Decimal:
    """Usually the whole open amount; now and then half of it (rounded down to the cent)."""
    if open_amount < 2 * CENT or rng.random() < 0.7:
        return open_amount
    return (open_amount / 2).quantize(CENT, rounding=ROUND_DOWN)
