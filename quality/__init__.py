"""The Valeo quality harness: suites, gates, live-server runner, report and history.

It knows the application only through ``[tool.quality]`` in ``pyproject.toml``.
"""
