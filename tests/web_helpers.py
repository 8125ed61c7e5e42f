"""Driving the server-rendered pages like a browser would: fetch the form, keep its token."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import PASSWORD

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(client: TestClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.text
    match = TOKEN.search(response.text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def post_form(
    client: TestClient, path: str, data: Mapping[str, str | list[str]], *, form_page: str
) -> Any:
    return client.post(
        path, data={**data, "csrf_token": csrf_from(client, form_page)}, follow_redirects=False
    )


def web_login(client: TestClient, email: str, password: str = PASSWORD) -> Any:
    response = post_form(
        client, "/login", {"email": email, "password": password, "next": "/"}, form_page="/login"
    )
    assert response.status_code == 303, response.text
    return response
