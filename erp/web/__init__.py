"""Server-rendered web UI (Jinja2). Kept apart from the API so its coverage is measured apart."""
