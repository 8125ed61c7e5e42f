"""Procure-to-pay screens: purchase orders, the order page, incoming invoices."""

from __future__ import annotations

from playwright.sync_api import Locator, Page

from e2e.pages.stock import id_in_url


class OrdersPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.table = page.get_by_test_id("order-table")

    def open(self) -> OrdersPage:
        self.page.goto("/purchase-orders")
        return self

    def new_order(self, supplier_id: int, lines: list[tuple[str, str, str]]) -> OrderPage:
        """A draft order: rows of (SKU, quantity, unit price or '' for the article's)."""
        self.page.get_by_test_id("new-order").click()
        form = self.page.get_by_test_id("order-form")
        form.get_by_label("Supplier").select_option(str(supplier_id))
        for row, (sku, quantity, price) in enumerate(lines, start=1):
            form.get_by_label(f"Article {row}", exact=True).fill(sku)
            form.get_by_label(f"Quantity {row}", exact=True).fill(quantity)
            form.get_by_label(f"Unit price {row}", exact=True).fill(price)
        form.get_by_role("button", name="Save draft order").click()
        return OrderPage(self.page)


class OrderPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.title = page.get_by_test_id("order-title")
        self.status = page.get_by_test_id("order-status")
        self.lines = page.get_by_test_id("order-lines")
        self.notice = page.get_by_test_id("notice")
        self.receive_error = page.get_by_test_id("receive-error")
        self.invoice_error = page.get_by_test_id("invoice-error")

    @property
    def order_id(self) -> int:
        return id_in_url(self.page, "purchase-orders")

    def received(self, position: int) -> Locator:
        return self.page.get_by_test_id(f"received-{position}")

    def place(self) -> None:
        self.page.get_by_test_id("place-order").click()

    def receive(self, warehouse: str, quantities: dict[str, str]) -> None:
        """A goods receipt into ``warehouse`` (its label): quantities by SKU; others 0."""
        form = self.page.get_by_test_id("receive-form")
        form.get_by_label("Warehouse").select_option(label=warehouse)
        for field in form.get_by_label("Receive ").all():
            field.fill("0")
        for sku, quantity in quantities.items():
            form.get_by_label(f"Receive {sku}", exact=True).fill(quantity)
        form.get_by_test_id("receive-goods").click()

    def book_invoice(self, supplier_reference: str, invoice_date: str | None = None) -> None:
        form = self.page.get_by_test_id("invoice-form")
        form.get_by_label("Supplier's invoice number").fill(supplier_reference)
        if invoice_date:
            form.get_by_label("Invoice date").fill(invoice_date)
        form.get_by_test_id("book-invoice").click()


class InvoicesPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.table = page.get_by_test_id("invoice-table")
        self.waiting = page.get_by_test_id("waiting-orders")

    def open(self) -> InvoicesPage:
        self.page.goto("/incoming-invoices")
        return self

    def open_waiting_order(self, number: str) -> OrderPage:
        self.waiting.get_by_role("link", name=number, exact=True).click()
        return OrderPage(self.page)


class InvoicePage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.title = page.get_by_test_id("invoice-title")
        self.status = page.get_by_test_id("invoice-status")
        self.gross = page.get_by_test_id("gross-total")
        self.paid = page.get_by_test_id("paid-total")
        self.open_amount = page.get_by_test_id("open-amount")
        self.payments = page.get_by_test_id("payment-table")
        self.form = page.get_by_test_id("payment-form")
        self.error = page.get_by_test_id("payment-error")
        self.notice = page.get_by_test_id("notice")

    @property
    def invoice_id(self) -> int:
        return id_in_url(self.page, "incoming-invoices")

    def pay(self, amount: str, payment_date: str | None = None) -> None:
        self.form.get_by_label("Amount (EUR)").fill(amount)
        if payment_date:
            self.form.get_by_label("Payment date").fill(payment_date)
        self.form.get_by_test_id("pay-invoice").click()
