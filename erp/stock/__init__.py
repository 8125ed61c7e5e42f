"""Warenwirtschaft: articles, warehouses, stock levels and the append-only stock ledger."""
