"""Small helpers to read HTML forms and show validation errors next to their fields."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Annotated

from fastapi import Depends, Request
from pydantic import ValidationError
from starlette.datastructures import FormData


async def posted_form(request: Request) -> FormData:
    """The posted form, read on the event loop (Starlette keeps it for the CSRF check too).

    Handlers take it as a dependency and stay plain ``def``: FastAPI runs them in its thread
    pool, so password hashing and database work never block the event loop.
    """
    return await request.form()


PostedForm = Annotated[FormData, Depends(posted_form)]


def form_values(form: FormData, *names: str) -> dict[str, str]:
    """The named text fields of the posted form ('' when absent); files are ignored."""
    values: dict[str, str] = {}
    for name in names:
        value = form.get(name)
        values[name] = (
            value.strip()
            if isinstance(value, str) and "password" not in name
            else (value if isinstance(value, str) else "")
        )
    return values


def form_list(form: FormData, name: str) -> list[str]:
    return [v for v in form.getlist(name) if isinstance(v, str)]


def errors_by_field(exc: ValidationError) -> dict[str, str]:
    """First message per top-level field, in words a person reads."""
    errors: dict[str, str] = {}
    for error in exc.errors():
        loc = error.get("loc") or ("form",)
        field = str(loc[0])
        message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
        errors.setdefault(
            field, message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")
        )
    return errors


def money_input(raw: str) -> str:
    """Accept what people type ("1200", "1.200,50", "1200.5") as the API's "1200.50"."""
    text = raw.strip().replace(" ", "").replace("€", "")
    # German notation: "," is the decimal mark; "." groups thousands ("40.000" is forty
    # thousand: three decimals could never be a cent amount anyway).
    if "," in text or re.fullmatch(r"[1-9][0-9]{0,2}(\.[0-9]{3})+", text):
        text = text.replace(".", "").replace(",", ".")
    try:
        value = Decimal(text)
        if not value.is_finite() or value != value.quantize(Decimal("0.01")):
            return raw
    except InvalidOperation:  # not a number, or too many digits to quantize ("1e50")
        return raw  # left for the schema to refuse with its message
    return f"{value:.2f}"


def int_input(raw: str) -> int | str:
    text = raw.strip()
    return int(text) if text.isdigit() else raw


def optional(raw: str) -> str | None:
    return raw or None
