"""Contract tests: Schemathesis fuzzes the OpenAPI schema of a live server, once per role."""
