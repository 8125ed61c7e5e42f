"""Invoice maths against invoices computed by hand: VAT per rate on the net total of that
rate, rounded once, half-up, to cents — and the posting carries the same figures."""

from __future__ import annotations

from decimal import Decimal
from itertools import count

import pytest
from sqlalchemy.orm import Session

from erp.auth.models import User
from erp.crm.models import Customer
from erp.fibu import journal
from erp.stock import ledger
from erp.stock.models import Warehouse
from tests.unit.sales.conftest import bill, make_article, place, ship

D = Decimal
Line = tuple[int, int, str]  # VAT rate, quantity, net unit price
SKUS = count(1)

# lines → (net 19 %, USt 19 %, net 7 %, USt 7 %, gross), each figure worked out by hand.
TABLE: dict[str, tuple[list[Line], tuple[str, str, str, str, str]]] = {
    # 3 × 19.99 = 59.97; × 0.19 = 11.3943 → 11.39
    "one line": ([(19, 3, "19.99")], ("59.97", "11.39", "0.00", "0.00", "71.36")),
    # 0.09 × 0.19 = 0.0171 → 0.02 (per line: 3 × 0.0057 → 3 × 0.01 = 0.03)
    "rounded on the total, not per line": (
        [(19, 1, "0.03"), (19, 1, "0.03"), (19, 1, "0.03")],
        ("0.09", "0.02", "0.00", "0.00", "0.11"),
    ),
    # 0.21 × 0.07 = 0.0147 → 0.01 (per line: 3 × 0.0049 → 0.00)
    "rounded on the total at 7 %": (
        [(7, 1, "0.07"), (7, 1, "0.07"), (7, 1, "0.07")],
        ("0.00", "0.00", "0.21", "0.01", "0.22"),
    ),
    # 20.10 × 0.19 = 3.819 → 3.82; 6.45 × 0.07 = 0.4515 → 0.45
    "mixed rates": (
        [(19, 2, "10.05"), (7, 3, "2.15")],
        ("20.10", "3.82", "6.45", "0.45", "30.82"),
    ),
    # 1.50 × 0.19 = 0.285 → 0.29 and 3.50 × 0.07 = 0.245 → 0.25: half-up (banker's: .28, .24)
    "exact halves round up": (
        [(19, 1, "1.50"), (7, 1, "3.50")],
        ("1.50", "0.29", "3.50", "0.25", "5.54"),
    ),
    # 23.31 + 0.01 = 23.32 × 0.19 = 4.4308 → 4.43; 13.32 + 4.95 = 18.27 × 0.07 = 1.2789 → 1.28
    "several lines per rate": (
        [(19, 7, "3.33"), (19, 1, "0.01"), (7, 12, "1.11"), (7, 5, "0.99")],
        ("23.32", "4.43", "18.27", "1.28", "47.30"),
    ),
    # 1,234,560.00 × 0.19 = 234,566.40; 24,997.50 × 0.07 = 1,749.825 → 1,749.83
    "large amounts": (
        [(19, 1000, "1234.56"), (7, 250, "99.99")],
        ("1234560.00", "234566.40", "24997.50", "1749.83", "1495873.73"),
    ),
}


@pytest.mark.parametrize("case", TABLE)
def test_invoice_matches_the_hand_computed_figures(
    db: Session, seller: User, customer: Customer, warehouse: Warehouse, case: str
) -> None:
    lines, (net19, tax19, net7, tax7, gross) = TABLE[case]
    ordered, prices = [], {}
    for rate, quantity, price in lines:
        article = make_article(db, seller, f"T-{next(SKUS)}", price, rate)
        ledger.receive(
            db,
            article_id=article.id,
            warehouse_id=warehouse.id,
            quantity=quantity,
            unit_cost=D("0.01"),
            reference="AB",
            actor=seller,
        )
        ordered.append((article, quantity))
        prices[article.sku] = D(price)
    order = place(db, seller, customer, warehouse, ordered, prices=prices)
    ship(db, seller, order)
    invoice = bill(db, seller, order)

    by_rate = {t.rate: (t.net, t.tax) for t in invoice.totals}
    assert by_rate.get(19, (D("0.00"), D("0.00"))) == (D(net19), D(tax19))
    assert by_rate.get(7, (D("0.00"), D("0.00"))) == (D(net7), D(tax7))
    assert invoice.net_total == D(net19) + D(net7)
    assert invoice.tax_total == D(tax19) + D(tax7)
    assert invoice.gross_total == D(gross)

    posted: dict[int, Decimal] = {}
    for li in journal.get_entry(db, invoice.journal_entry_id).lines:
        posted[li.account_number] = posted.get(li.account_number, D(0)) + li.debit - li.credit
    expected = {
        customer.debitor_account: D(gross),
        8400: -D(net19),
        1776: -D(tax19),
        8300: -D(net7),
        1771: -D(tax7),
    }
    assert posted == {account: v for account, v in expected.items() if v}
