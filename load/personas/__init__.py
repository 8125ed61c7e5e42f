"""Locust personas, one module per kind of user. Imported only inside Locust's own venv."""
