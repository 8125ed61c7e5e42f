"""Order-to-cash screens: sales orders, an order with its deliveries, outgoing invoices, an
invoice with its payments, and the printable invoice (§14 UStG)."""

from __future__ import annotations

from playwright.sync_api import Locator, Page

from e2e.pages.stock import id_in_url


class SalesOrdersPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.table = page.get_by_test_id("order-table")

    def open(self) -> SalesOrdersPage:
        self.page.goto("/sales-orders")
        return self

    def new_order(
        self, customer_id: int, warehouse_id: int, lines: list[tuple[str, str, str]]
    ) -> SalesOrderPage:
        """A draft order: rows of (SKU, quantity, unit price or '' for the article's)."""
        self.page.get_by_test_id("new-order").click()
        form = self.page.get_by_test_id("order-form")
        form.get_by_test_id("customer-select").select_option(str(customer_id))
        form.get_by_test_id("warehouse-select").select_option(str(warehouse_id))
        for row, (sku, quantity, price) in enumerate(lines, start=1):
            form.get_by_label(f"Article {row}", exact=True).fill(sku)
            form.get_by_label(f"Quantity {row}", exact=True).fill(quantity)
            form.get_by_label(f"Unit price {row}", exact=True).fill(price)
        form.get_by_role("button", name="Save draft order").click()
        return SalesOrderPage(self.page)

    def open_order(self, number: str) -> SalesOrderPage:
        self.table.get_by_role("link", name=number, exact=True).click()
        return SalesOrderPage(self.page)


class SalesOrderPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.title = page.get_by_test_id("order-title")
        self.status = page.get_by_test_id("order-status")
        self.notice = page.get_by_test_id("notice")
        self.confirm_error = page.get_by_test_id("confirm-error")
        self.deliver_error = page.get_by_test_id("deliver-error")
        self.invoice_error = page.get_by_test_id("invoice-error")
        self.confirm_button = page.get_by_test_id("confirm-order")
        self.deliveries = page.get_by_test_id("delivery-table")

    @property
    def order_id(self) -> int:
        return id_in_url(self.page, "sales-orders")

    @property
    def number(self) -> str:
        return self.title.inner_text().removeprefix("Sales order ")

    def delivered(self, position: int) -> Locator:
        return self.page.get_by_test_id(f"delivered-{position}")

    def open_quantity(self, position: int) -> Locator:
        return self.page.get_by_test_id(f"open-{position}")

    def confirm(self) -> None:
        self.confirm_button.click()

    def deliver(self, quantities: dict[str, str]) -> None:
        """A delivery: quantities by SKU; every other open line ships nothing now."""
        form = self.page.get_by_test_id("deliver-form")
        for field in form.locator('[data-testid^="deliver-qty-"]').all():
            field.fill("0")
        for sku, quantity in quantities.items():
            form.get_by_label(f"Deliver {sku}", exact=True).fill(quantity)
        form.get_by_test_id("deliver-order").click()

    def issue_invoice(self) -> SalesInvoicePage:
        """Invoice what was delivered: today, Leistungsdatum and due date by default."""
        self.page.get_by_test_id("invoice-form").get_by_test_id("issue-invoice").click()
        return SalesInvoicePage(self.page)


class SalesInvoicesPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.table = page.get_by_test_id("invoice-table")
        self.waiting = page.get_by_test_id("waiting-orders")

    def open(self) -> SalesInvoicesPage:
        self.page.goto("/invoices")
        return self

    def open_waiting_order(self, number: str) -> SalesOrderPage:
        self.waiting.get_by_role("link", name=number, exact=True).click()
        return SalesOrderPage(self.page)


class SalesInvoicePage:
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
        return id_in_url(self.page, "invoices")

    @property
    def number(self) -> str:
        return self.title.inner_text().removeprefix("Invoice ")

    def rate(self, rate: int) -> Locator:
        """The row of the VAT table for ``rate``: net, Umsatzsteuer, gross."""
        return self.page.get_by_test_id("invoice-totals").get_by_test_id(f"rate-{rate}")

    def open_print(self) -> PrintedInvoice:
        self.page.get_by_test_id("print-link").click()
        return PrintedInvoice(self.page)

    def pay(self, amount: str, payment_date: str | None = None) -> None:
        self.form.get_by_label("Amount (EUR)").fill(amount)
        if payment_date:
            self.form.get_by_label("Payment date").fill(payment_date)
        self.form.get_by_test_id("book-payment").click()


class PrintedInvoice:
    """/invoices/{id}/print: the invoice as the customer gets it."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.document = page.get_by_test_id("printed-invoice")
        self.kind = page.get_by_test_id("document-kind")
        self.seller = page.get_by_test_id("seller")
        self.recipient = page.get_by_test_id("recipient")
        self.number = page.get_by_test_id("invoice-number")
        self.invoice_date = page.get_by_test_id("invoice-date")
        self.service_date = page.get_by_test_id("service-date")
        self.lines = page.get_by_test_id("printed-lines")
        self.net_total = page.get_by_test_id("net-total")
        self.tax_total = page.get_by_test_id("tax-total")
        self.gross = page.get_by_test_id("gross-total")
        self.due = page.get_by_test_id("due-date")

    def line(self, position: int) -> Locator:
        return self.page.get_by_test_id(f"printed-line-{position}")

    def net(self, rate: int) -> Locator:
        """'Nettobetrag zu {rate} %' and its amount."""
        return self.page.get_by_test_id(f"net-{rate}")

    def tax(self, rate: int) -> Locator:
        """'USt {rate} %' and its amount."""
        return self.page.get_by_test_id(f"tax-{rate}")
