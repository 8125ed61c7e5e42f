"""``python -m load.flows``: complete order-to-cash flows per second over HTTP.

Each flow is five requests, each by the demo account whose role does it in the business
(erp.demo): sales creates a sales order and confirms it, the warehouse delivers it, accounting
invoices it and books the payment of the whole invoice. ``--clients`` threads run flows back
to back for ``--seconds`` against a live server on the load suite's volume (a flow under way at
the end is finished). A flow is complete when every step answered as documented; a failed step
ends its flow and is counted with its status and problem title, never hidden.

Orders take one unit each of one to three volume articles in turn, so stock is drawn evenly:
every volume article holds ``erp.demo_volume.HEADROOM`` units more than the seeded orders take.
Exit codes: 0 every flow completed, 1 a step failed, 2 the run could not take place.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from load import live

ROOT = live.ROOT
STEPS = ("create", "confirm", "deliver", "invoice", "pay")
ROLES = ("sales", "warehouse", "accounting")
PAGE = 100  # the API's largest page


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile (``share`` 0.5 for P50), None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered), max(1, math.ceil(share * len(ordered)))) - 1]


@dataclass
class Tally:
    """What the clients saw; shared by the threads, guarded by one lock."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in STEPS})
    failures: Counter[tuple[str, int, str]] = field(default_factory=Counter)
    examples: dict[tuple[str, int, str], str] = field(default_factory=dict)
    flows: list[float] = field(default_factory=list)  # seconds per complete flow
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answered(self, step: str, seconds: float) -> None:
        with self.lock:
            self.latencies[step].append(seconds)

    def failed(self, step: str, status: int, title: str, detail: str) -> None:
        with self.lock:
            self.failures[step, status, title] += 1
            self.examples.setdefault((step, status, title), detail)

    def completed(self, seconds: float) -> None:
        with self.lock:
            self.flows.append(seconds)


@dataclass
class Catalogue:
    """Customers, stocked articles (handed out in turn) and warehouse HL."""

    customers: list[int]
    articles: list[int]
    warehouse_id: int
    _turn: itertools.cycle[int] = field(init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._turn = itertools.cycle(self.articles)

    def lines(self, rng: random.Random) -> list[dict[str, int]]:
        with self._lock:
            picked = {next(self._turn) for _ in range(rng.randint(1, min(3, len(self.articles))))}
        return [{"article_id": article, "quantity": 1} for article in sorted(picked)]


def fetch_all(client: httpx.Client, path: str, headers: dict[str, str], **params: Any) -> list[Any]:
    items: list[Any] = []
    while True:
        reply = client.get(
            path, headers=headers, params={**params, "limit": PAGE, "offset": len(items)}
        )
        reply.raise_for_status()
        page = reply.json()
        items += page["items"]
        if not page["items"] or len(items) >= page["total"]:
            return items


def catalogue(client: httpx.Client, headers: dict[str, str]) -> Catalogue:
    stores = client.get("/api/v1/warehouses", headers=headers).raise_for_status().json()
    main = [s["id"] for s in stores if s["code"] == "HL"]
    articles = [
        a["id"]
        for a in fetch_all(client, "/api/v1/articles", headers, q="VOL-", active=True)
        if a["sku"].startswith("VOL-")
    ]
    # One page of customers (by name) spreads the orders enough; flows pay, so credit stays.
    customers = (
        client.get("/api/v1/customers", headers=headers, params={"limit": PAGE})
        .raise_for_status()
        .json()["items"]
    )
    if not main or not articles or not customers:
        raise RuntimeError("no warehouse HL, volume articles or customers: seed --articles N")
    return Catalogue([c["id"] for c in customers], articles, main[0])


def problem(reply: httpx.Response) -> tuple[str, str]:
    """(title, detail) of an RFC 9457 problem, or the reason phrase and the start of the body."""
    try:
        body = reply.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and "title" in body:
        return str(body["title"]), str(body.get("detail") or "")[:300]
    return reply.reason_phrase, reply.text[:300]


class Client:
    """One thread's connection and its flows."""

    def __init__(self, url: str, tokens: dict[str, dict[str, str]], tally: Tally) -> None:
        self.http = httpx.Client(base_url=url, timeout=60)
        self.tokens, self.tally = tokens, tally
        self.rng = random.Random()

    def step(self, name: str, role: str, path: str, body: dict[str, Any], expect: int) -> Any:
        started = time.perf_counter()
        try:
            reply = self.http.post(path, json=body, headers=self.tokens[role])
        except httpx.HTTPError as exc:
            self.tally.failed(name, 0, type(exc).__name__, str(exc)[:300])
            return None
        self.tally.answered(name, time.perf_counter() - started)
        if reply.status_code != expect:
            self.tally.failed(name, reply.status_code, *problem(reply))
            return None
        return reply.json()

    def flow(self, shop: Catalogue) -> None:
        started, day = time.perf_counter(), live.today()
        order = self.step(
            "create",
            "sales",
            "/api/v1/sales-orders",
            {
                "customer_id": self.rng.choice(shop.customers),
                "warehouse_id": shop.warehouse_id,
                "order_date": day,
                "customer_reference": f"FLOW-{self.rng.randrange(10**6)}",
                "lines": shop.lines(self.rng),
            },
            201,
        )
        orders = f"/api/v1/sales-orders/{order['id']}" if order else ""
        invoice = (
            order
            and self.step("confirm", "sales", f"{orders}/confirm", {}, 200)
            and self.step(
                "deliver", "warehouse", f"{orders}/deliveries", {"delivery_date": day}, 201
            )
            and self.step("invoice", "accounting", f"{orders}/invoices", {"invoice_date": day}, 201)
        )
        if invoice and self.step(
            "pay",
            "accounting",
            f"/api/v1/invoices/{invoice['id']}/payments",
            {"amount": invoice["open_amount"], "payment_date": day},
            201,
        ):
            self.tally.completed(time.perf_counter() - started)

    def run(self, shop: Catalogue, deadline: float) -> None:
        with self.http:
            while time.monotonic() < deadline:
                self.flow(shop)


def drive(args: argparse.Namespace, url: str) -> tuple[Tally, float]:
    with httpx.Client(base_url=url, timeout=60) as client:
        tokens = {role: live.login(client, role) for role in ROLES}
        shop = catalogue(client, tokens["sales"])
    tally = Tally()
    started = time.monotonic()
    deadline = started + args.seconds
    threads = [
        threading.Thread(target=Client(url, tokens, tally).run, args=(shop, deadline))
        for _ in range(args.clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tally, time.monotonic() - started


def summarize(args: argparse.Namespace, tally: Tally, elapsed: float) -> dict[str, Any]:
    def ms(values: list[float], share: float) -> float | None:
        value = percentile(values, share)
        return None if value is None else round(value * 1000, 1)

    failed = sum(tally.failures.values())
    return {
        "tool": "load.flows",
        "database": args.database,
        "volume": {"customers": args.customers, "articles": args.articles, "orders": args.orders},
        "clients": args.clients,
        "seconds": args.seconds,
        "elapsed_s": round(elapsed, 2),
        "flows": len(tally.flows),
        "flows_per_s": round(len(tally.flows) / elapsed, 2),
        "failed_flows": failed,  # a failed step ends its flow: one per failed flow
        "flow_ms": {"p50": ms(tally.flows, 0.5), "p95": ms(tally.flows, 0.95)},
        "steps": {
            step: {
                "responses": len(values),
                "p50_ms": ms(values, 0.5),
                "p95_ms": ms(values, 0.95),
                "failures": sum(n for (s, _, _), n in tally.failures.items() if s == step),
            }
            for step, values in tally.latencies.items()
        },
        "failures": [
            {
                "step": s,
                "status": status,
                "title": title,
                "count": n,
                "example": tally.examples[s, status, title],
            }
            for (s, status, title), n in tally.failures.most_common()
        ],
        "ok": failed == 0 and bool(tally.flows),
    }


def print_summary(summary: dict[str, Any]) -> None:
    print(f"{'step':<10} {'responses':>9} {'p50 ms':>8} {'p95 ms':>8} {'failed':>7}")
    for step, s in summary["steps"].items():
        print(
            f"{step:<10} {s['responses']:>9} {s['p50_ms']!s:>8} {s['p95_ms']!s:>8} "
            f"{s['failures']:>7}"
        )
    print(
        f"{summary['flows']} complete flows in {summary['elapsed_s']} s with {summary['clients']} "
        f"clients: {summary['flows_per_s']} flows/s (flow p50 {summary['flow_ms']['p50']} ms, "
        f"p95 {summary['flow_ms']['p95']} ms), {summary['failed_flows']} failed"
    )
    for f in summary["failures"]:
        print(
            f"FAILED {f['count']}× {f['step']}: {f['status']} {f['title']} — {f['example']}",
            file=sys.stderr,
        )


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m load.flows", description=__doc__.split("\n\n")[0])
    p.add_argument("--clients", type=int, default=4, help="concurrent clients (threads)")
    p.add_argument("--seconds", type=float, default=20, help="start flows for this long")
    live.add_server_options(p)
    p.add_argument("--output", type=Path, default=ROOT / "reports/latest/bench/flows.json")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.clients < 1 or args.seconds <= 0:
        print("--clients and --seconds must be positive", file=sys.stderr)
        return 2
    args.output.unlink(missing_ok=True)
    server_cpus, client_cpus = live.server_cores()
    try:
        with live.erp_server(args, args.output.parent / "flows-erp", server_cpus) as server:
            if client_cpus:
                os.sched_setaffinity(0, client_cpus)  # the clients off the server's core
            tally, elapsed = drive(args, server.url)
    except (RuntimeError, ValueError, OSError, httpx.HTTPError, subprocess.SubprocessError) as exc:
        # LiveServerError is a RuntimeError; a failed seed is a SubprocessError.
        print(f"flows could not take place: {exc}", file=sys.stderr)
        return 2
    summary = summarize(args, tally, elapsed)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(summary, indent=2), encoding="utf-8")
    print_summary(summary)
    print(f"written to {args.output}")
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
