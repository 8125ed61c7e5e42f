"""The load suite: Locust personas and a runner that measures the server while they work."""
