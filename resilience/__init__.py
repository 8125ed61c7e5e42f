"""Resilience: the ERP under faults (python -m resilience), and what must hold after them."""
