"""Order-to-cash through the services: confirm (reserve, credit), deliver, invoice, pay."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from erp.auth.models import User
from erp.crm import service as crm_service
from erp.crm.models import Customer
from erp.fibu import journal, open_items
from erp.fibu.report_schemas import PersonalKind
from erp.sales import delivery, invoicing, service
from erp.sales.models import InvoiceKind, SalesInvoiceStatus, SalesOrderStatus
from erp.stock import ledger
from erp.stock.models import Article, Warehouse
from tests.unit.sales.conftest import DAY, bill, level, place, ship

D = Decimal


def booked(db: Session, entry_id: int) -> set[tuple[int, Decimal, Decimal]]:
    return {
        (li.account_number, li.debit, li.credit) for li in journal.get_entry(db, entry_id).lines
    }


def open_on(db: Session, customer: Customer) -> dict[str, Decimal]:
    report = open_items.open_items(db, PersonalKind.debitor, date(2026, 12, 31))
    return {
        item.reference: item.amount
        for account in report.accounts
        if account.number == customer.debitor_account
        for item in account.items
    }


def test_confirming_reserves_stock_and_numbers_the_order(
    db: Session,
    seller: User,
    customer: Customer,
    warehouse: Warehouse,
    articles: tuple[Article, Article],
) -> None:
    drill, coffee = articles
    draft = place(db, seller, customer, warehouse, [(drill, 30), (coffee, 5)], confirm=False)
    assert (draft.number, draft.status, level(db, drill, warehouse)) == (
        None,
        SalesOrderStatus.draft,
        (100, 0),
    )
    order = service.confirm_order(db, order_id=draft.id, actor=seller)
    assert (order.number, order.status) == ("AU2026-00001", SalesOrderStatus.confirmed)
    assert level(db, drill, warehouse) == (100, 30)
    assert level(db, coffee, warehouse) == (100, 5)
    with pytest.raises(service.OrderState):
        service.confirm_order(db, order_id=order.id, actor=seller)


def test_an_order_beyond_available_stock_is_refused_and_reserves_nothing(
    db: Session,
    seller: User,
    customer: Customer,
    warehouse: Warehouse,
    articles: tuple[Article, Article],
) -> None:
    drill, coffee = articles
    place(db, seller, customer, warehouse, [(drill, 80)])
    draft = place(db, seller, customer, warehouse, [(coffee, 10), (drill, 21)], confirm=False)
    with pytest.raises(ledger.InsufficientStock) as refused, db.begin_nested():
        service.confirm_order(db, order_id=draft.id, actor=seller)
    assert "line 2: 21 Stk BOHRER-8 ordered, only 20 available" in str(refused.value)
    assert level(db, coffee, warehouse) == (100, 0)  # line 1's reservation rolled back
    assert level(db, drill, warehouse) == (100, 80)
    db.refresh(draft)
    assert (draft.status, draft.number) == (SalesOrderStatus.draft, None)
    assert place(db, seller, customer, warehouse, [(drill, 20)]).number == "AU2026-00002"


def test_the_credit_limit_counts_open_items_open_orders_and_this_order(
    db: Session,
    seller: User,
    customer: Customer,
    warehouse: Warehouse,
    articles: tuple[Article, Article],
) -> None:
    drill, _coffee = articles
    crm_service.update_customer(
        db, customer_id=customer.id, actor=seller, values={"credit_limit": D("100.00")}
    )
    # 2 × 19.99 = 39.98 net, 7.60 VAT → 47.58 gross: invoiced and open
    first = place(db, seller, customer, warehouse, [(drill, 2)])
    ship(db, seller, first)
    bill(db, seller, first)
    assert service.credit_exposure(db, customer) == D("47.58")
    place(db, seller, customer, warehouse, [(drill, 1)])  # 23.79 gross on order
    assert service.credit_exposure(db, customer) == D("71.37")
    draft = place(db, seller, customer, warehouse, [(drill, 2)], confirm=False)  # 47.58
    with pytest.raises(service.CreditLimitExceeded) as refused, db.begin_nested():
        service.confirm_order(db, order_id=draft.id, actor=seller)
    assert "71.37 plus this order 47.58 exceed the credit limit 100.00" in str(refused.value)
    assert level(db, drill, warehouse) == (98, 1)
    draft = place(db, seller, customer, warehouse, [(drill, 1)], confirm=False)  # 23.79: 95.16
    assert service.confirm_order(db, order_id=draft.id, actor=seller).number


def test_partial_deliveries_issue_reserved_stock_and_close_the_order(
    db: Session,
    seller: User,
    customer: Customer,
    warehouse: Warehouse,
    articles: tuple[Article, Article],
) -> None:
    drill, coffee = articles
    order = place(db, seller, customer, warehouse, [(drill, 30), (coffee, 5)])
    first = ship(db, seller, order, 10, 5)
    assert (first.number, order.status) == ("LS2026-00001", SalesOrderStatus.partially_delivered)
    assert level(db, drill, warehouse) == (90, 20)
    assert level(db, coffee, warehouse) == (95, 0)
    with pytest.raises(delivery.OverDelivery), db.begin_nested():
        ship(db, seller, order, 21, 0)
    with pytest.raises(delivery.OverDelivery), db.begin_nested():
        ship(db, seller, order, 0, 1)
    ship(db, seller, order)  # the rest
    assert order.status is SalesOrderStatus.delivered
    assert level(db, drill, warehouse) == (70, 0)
    assert [li.delivered_quantity for li in order.lines] == [30, 5]
    with pytest.raises(service.OrderState):
        ship(db, seller, order)


def test_cancelling_releases_what_is_not_delivered(
    db: Session,
    seller: User,
    customer: Customer,
    warehouse: Warehouse,
    articles: tuple[Article, Article],
) -> None:
    drill, coffee = articles
    order = place(db, seller, customer, warehouse, [(drill, 30), (coffee, 5)])
    ship(db, seller, order, 10, 0)
    service.cancel_order(db, order_id=order.id, actor=seller)
    assert order.status is SalesOrderStatus.cancelled
    assert level(db, drill, warehouse) == (90, 0)
    assert level(db, coffee, warehouse) == (100, 0)
    assert [li.cancelled_quantity for li in order.lines] == [20, 5]
    with pytest.raises(service.OrderState):
        service.cancel_order(db, order_id=order.id, actor=seller)
    invoice = bill(db, seller, order)  # what was delivered is still billed
    assert invoice.net_total == D("199.90")


def test_invoice_posts_debitor_erloese_and_umsatzsteuer_and_payments_clear_it(
    db: Session,
    seller: User,
    customer: Customer,
    warehouse: Warehouse,
    articles: tuple[Article, Article],
) -> None:
    drill, coffee = articles
    order = place(db, seller, customer, warehouse, [(drill, 3), (coffee, 10)])
    ship(db, seller, order, day=date(2026, 3, 5))
    invoice = bill(db, seller, order, day=date(2026, 3, 6))
    # 3 × 19.99 = 59.97 at 19 % → 11.3943 → 11.39; 10 × 12.49 = 124.90 at 7 % → 8.743 → 8.74
    assert (invoice.number, invoice.net_total, invoice.tax_total, invoice.gross_total) == (
        "RE2026-00001",
        D("184.87"),
        D("20.13"),
        D("205.00"),
    )
    assert (invoice.service_date, invoice.due_date) == (date(2026, 3, 5), date(2026, 3, 20))
    assert (invoice.customer_name, invoice.customer_city) == ("Müller GmbH", "Berlin")
    debitor = customer.debitor_account
    assert booked(db, invoice.journal_entry_id) == {
        (debitor, D("205.00"), D("0.00")),
        (8400, D("0.00"), D("59.97")),
        (8300, D("0.00"), D("124.90")),
        (1776, D("0.00"), D("11.39")),
        (1771, D("0.00"), D("8.74")),
    }
    assert open_on(db, customer) == {"RE2026-00001": D("205.00")}
    with pytest.raises(invoicing.NothingToInvoice):
        bill(db, seller, order)

    first = invoicing.book_payment(
        db,
        invoice_id=invoice.id,
        actor=seller,
        values={"amount": D("100.00"), "payment_date": date(2026, 3, 10)},
    )
    assert (first.number, invoice.status, invoice.open_amount) == (
        "ZE2026-00001",
        SalesInvoiceStatus.partially_paid,
        D("105.00"),
    )
    assert booked(db, first.journal_entry_id) == {
        (1200, D("100.00"), D("0.00")),
        (debitor, D("0.00"), D("100.00")),
    }
    assert open_on(db, customer) == {"RE2026-00001": D("105.00")}
    with pytest.raises(invoicing.Overpayment) as refused:
        invoicing.book_payment(
            db,
            invoice_id=invoice.id,
            actor=seller,
            values={"amount": D("105.01"), "payment_date": date(2026, 3, 12)},
        )
    assert "105.01 exceeds the open 105.00" in str(refused.value)
    invoicing.book_payment(
        db,
        invoice_id=invoice.id,
        actor=seller,
        values={"amount": D("105.00"), "payment_date": date(2026, 3, 12)},
    )
    assert (invoice.status, invoice.open_amount, open_on(db, customer)) == (
        SalesInvoiceStatus.paid,
        D("0.00"),
        {},
    )
    with pytest.raises(invoicing.InvoiceState):
        invoicing.book_payment(
            db,
            invoice_id=invoice.id,
            actor=seller,
            values={"amount": D("0.01"), "payment_date": date(2026, 3, 12)},
        )


def test_a_correcting_invoice_mirrors_the_original_and_frees_its_lines(
    db: Session,
    seller: User,
    customer: Customer,
    warehouse: Warehouse,
    articles: tuple[Article, Article],
) -> None:
    drill, coffee = articles
    order = place(db, seller, customer, warehouse, [(drill, 3), (coffee, 10)])
    ship(db, seller, order)
    original = bill(db, seller, order)
    correction = invoicing.correct_invoice(
        db,
        invoice_id=original.id,
        actor=seller,
        values={"invoice_date": date(2026, 3, 9), "reason": "Preis falsch"},
    )
    assert (correction.number, correction.kind, correction.corrects_id) == (
        "RE2026-00002",
        InvoiceKind.correction,
        original.id,
    )
    assert (correction.net_total, correction.tax_total, correction.gross_total) == (
        D("-184.87"),
        D("-20.13"),
        D("-205.00"),
    )
    assert [li.quantity for li in correction.lines] == [-3, -10]
    assert original.status is SalesInvoiceStatus.corrected
    mirrored = {(a, c, d) for a, d, c in booked(db, original.journal_entry_id)}
    assert booked(db, correction.journal_entry_id) == mirrored
    assert open_on(db, customer) == {}
    assert [li.invoiced_quantity for li in order.lines] == [0, 0]
    again = bill(db, seller, order)  # the delivered goods are billed anew
    assert (again.number, again.gross_total) == ("RE2026-00003", D("205.00"))
    for invoice, error in (
        (original, invoicing.InvoiceState),
        (correction, invoicing.InvoiceState),
    ):
        with pytest.raises(error):
            invoicing.correct_invoice(
                db, invoice_id=invoice.id, actor=seller, values={"invoice_date": DAY, "reason": "x"}
            )
    invoicing.book_payment(
        db, invoice_id=again.id, actor=seller, values={"amount": D("1.00"), "payment_date": DAY}
    )
    with pytest.raises(invoicing.InvoiceState):  # paid in part: refund first
        invoicing.correct_invoice(
            db, invoice_id=again.id, actor=seller, values={"invoice_date": DAY, "reason": "x"}
        )


def test_an_invoice_needs_the_data_of_section_14_ustg(
    db: Session,
    seller: User,
    customer: Customer,
    warehouse: Warehouse,
    articles: tuple[Article, Article],
) -> None:
    order = place(db, seller, customer, warehouse, [(articles[0], 1)])
    ship(db, seller, order)
    crm_service.update_customer(db, customer_id=customer.id, actor=seller, values={"street": ""})
    with pytest.raises(invoicing.InvoiceDataIncomplete, match="no complete address"):
        bill(db, seller, order)
    crm_service.update_customer(
        db, customer_id=customer.id, actor=seller, values={"street": "Hauptstr. 1"}
    )
    from erp.fibu import service as fibu

    fibu.update_company(db, actor=seller, values={"tax_number": "", "vat_id": None})
    with pytest.raises(invoicing.InvoiceDataIncomplete, match="Steuernummer"):
        bill(db, seller, order)
    fibu.update_company(db, actor=seller, values={"vat_id": "DE136695976"})
    assert bill(db, seller, order).number == "RE2026-00001"


def test_drafts_are_deleted_and_only_drafts(
    db: Session,
    seller: User,
    customer: Customer,
    warehouse: Warehouse,
    articles: tuple[Article, Article],
) -> None:
    draft = place(db, seller, customer, warehouse, [(articles[0], 1)], confirm=False)
    service.delete_draft(db, order_id=draft.id, actor=seller)
    with pytest.raises(service.OrderNotFound):
        service.get_order(db, draft.id)
    order = place(db, seller, customer, warehouse, [(articles[0], 1)])
    with pytest.raises(service.OrderState):
        service.delete_draft(db, order_id=order.id, actor=seller)
    with pytest.raises(crm_service.CustomerInUse):
        crm_service.delete_customer(db, customer_id=customer.id, actor=seller)


def test_delivered_goods_count_against_the_credit_limit_until_invoiced(
    db: Session,
    seller: User,
    customer: Customer,
    warehouse: Warehouse,
    articles: tuple[Article, Article],
) -> None:
    drill, _coffee = articles
    order = place(db, seller, customer, warehouse, [(drill, 4)])  # 79.96 net → 95.15 gross
    ship(db, seller, order, 1)
    service.cancel_order(db, order_id=order.id, actor=seller)  # 1 delivered, kept, not billed
    assert service.credit_exposure(db, customer) == D("23.79")
    other = place(db, seller, customer, warehouse, [(drill, 4)])
    ship(db, seller, other)  # delivered in full, not billed
    assert service.credit_exposure(db, customer) == D("118.94")
    bill(db, seller, other)  # now an open item instead: the same amount
    assert service.credit_exposure(db, customer) == D("118.94")


def test_dates_follow_the_flow(
    db: Session,
    seller: User,
    customer: Customer,
    warehouse: Warehouse,
    articles: tuple[Article, Article],
) -> None:
    order = place(db, seller, customer, warehouse, [(articles[0], 2)])
    with pytest.raises(service.InvalidOrder, match="not dated before its order"):
        ship(db, seller, order, day=date(2026, 3, 1))
    ship(db, seller, order)
    invoice = bill(db, seller, order, day=date(2026, 3, 10))
    with pytest.raises(invoicing.InvalidDate, match="not dated before its invoice"):
        invoicing.book_payment(
            db,
            invoice_id=invoice.id,
            actor=seller,
            values={"amount": D("1.00"), "payment_date": date(2026, 3, 9)},
        )
    with pytest.raises(invoicing.InvalidDate, match="not dated before RE2026-00001"):
        invoicing.correct_invoice(
            db,
            invoice_id=invoice.id,
            actor=seller,
            values={"invoice_date": date(2026, 3, 9), "reason": "x"},
        )
