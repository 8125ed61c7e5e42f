"""Sales: orders, deliveries, outgoing invoices and incoming payments (order-to-cash)."""
