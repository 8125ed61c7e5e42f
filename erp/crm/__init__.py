"""CRM: customers (with their Debitor account), contacts, opportunities, activities."""
