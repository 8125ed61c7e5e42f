"""Procure-to-pay: suppliers, purchase orders, goods receipts, incoming invoices, payments."""
