"""Warenwirtschaft screens: warehouses, articles, an article with its stock and movements."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page


def id_in_url(page: Page, kind: str) -> int:
    """The record id in a page's URL (/articles/17?done=created → 17)."""
    match = re.search(rf"/{kind}/([0-9]+)", page.url)
    assert match, page.url
    return int(match.group(1))


class WarehousesPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.table = page.get_by_test_id("warehouse-table")
        self.form = page.get_by_test_id("warehouse-form")

    def open(self) -> WarehousesPage:
        self.page.goto("/warehouses")
        return self

    def create(self, code: str, name: str) -> None:
        self.form.get_by_label("Code", exact=True).fill(code)
        self.form.get_by_label("Name", exact=True).fill(name)
        self.form.get_by_role("button", name="Create warehouse").click()


class ArticlesPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.table = page.get_by_test_id("article-table")

    def open(self) -> ArticlesPage:
        self.page.goto("/articles")
        return self

    def search(self, text: str) -> None:
        self.page.get_by_role("searchbox", name="Search articles").fill(text)
        self.page.get_by_role("button", name="Search").click()

    def new_article(
        self, sku: str, name: str, *, sales_price: str, purchase_price: str, vat_rate: str = "19"
    ) -> ArticlePage:
        self.page.get_by_test_id("new-article").click()
        form = self.page.get_by_test_id("article-form")
        form.get_by_label("SKU (Artikelnummer)").fill(sku)
        form.get_by_label("Name", exact=True).fill(name)
        form.get_by_label("Sales price (EUR, net)").fill(sales_price)
        form.get_by_label("Purchase price (EUR, net)").fill(purchase_price)
        form.get_by_label("VAT rate").select_option(vat_rate)
        form.get_by_role("button", name="Save article").click()
        return ArticlePage(self.page)


class ArticlePage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.title = page.get_by_test_id("article-title")
        self.levels = page.get_by_test_id("article-levels")
        self.movements = page.get_by_test_id("movement-table")
        self.notice = page.get_by_test_id("notice")

    @property
    def article_id(self) -> int:
        return id_in_url(self.page, "articles")

    def level(self, warehouse_code: str) -> Locator:
        return self.page.get_by_test_id(f"level-{warehouse_code}")

    def receive(self, warehouse: str, quantity: str, unit_cost: str, reference: str) -> None:
        """Book a receipt without an order (opening stock) into ``warehouse`` (its label)."""
        self.page.get_by_test_id("receipt-open").click()
        form = self.page.get_by_test_id("receipt-form")
        form.get_by_label("Warehouse").select_option(label=warehouse)
        form.get_by_label("Quantity").fill(quantity)
        form.get_by_label("Unit cost").fill(unit_cost)
        form.get_by_label("Reference").fill(reference)
        form.get_by_role("button", name="Book receipt").click()

    def count(self, warehouse: str, counted: str, reason: str) -> None:
        self.page.get_by_test_id("count-open").click()
        form = self.page.get_by_test_id("count-form")
        form.get_by_label("Warehouse").select_option(label=warehouse)
        form.get_by_label("Counted").fill(counted)
        form.get_by_label("Reason").fill(reason)
        form.get_by_role("button", name="Book difference").click()
