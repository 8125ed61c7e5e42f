"""A sales person in the browser: signed in with a session cookie, loading whole pages."""

from __future__ import annotations

import random

from locust import task

from load.personas.common import CSRF_TOKEN, DEMO_PASSWORD, PacedUser

SEARCH_TERMS = ("GmbH", "Kunde", "Bau", "Hamburg")


class WebUser(PacedUser):
    role = "sales"
    weight = 3

    def on_start(self) -> None:
        super().on_start()
        form = self.client.get("/login", name="/login")
        token = CSRF_TOKEN.search(form.text or "")
        with self.client.post(
            "/login",
            data={
                "email": f"{self.role}@valeo.test",
                "password": DEMO_PASSWORD,
                "next": "/",
                "csrf_token": token.group(1) if token else "",
            },
            name="/login",
            allow_redirects=False,
            catch_response=True,
        ) as reply:
            if reply.status_code != 303:
                reply.failure(f"web login failed: {reply.status_code}")
                self.stop()
        self.customer_ids = list(range(1, 21))

    def page(self, path: str, name: str) -> None:
        with self.client.get(path, name=name, catch_response=True) as reply:
            if reply.status_code != 200 or "<html" not in (reply.text or ""):
                reply.failure(f"{reply.status_code}: not a page")

    @task(2)
    def dashboard(self) -> None:
        self.page("/", "/")

    @task(3)
    def customers(self) -> None:
        self.page(f"/customers?q={random.choice(SEARCH_TERMS)}", "/customers")

    @task(3)
    def customer(self) -> None:
        self.page(f"/customers/{random.choice(self.customer_ids)}", "/customers/{customer_id}")

    @task(1)
    def pipeline(self) -> None:
        self.page("/pipeline", "/pipeline")
