"""Small helpers to read HTML forms and show validation errors next to their fields."""

from __future__ import annotations

from fastapi import Request
from pydantic import ValidationError


async def form_values(request: Request, *names: str) -> dict[str, str]:
    """The named text fields of the posted form ('' when absent); files are ignored."""
    form = await request.form()
    values: dict[str, str] = {}
    for name in names:
        value = form.get(name)
        values[name] = (
            value.strip()
            if isinstance(value, str) and "password" not in name
            else (value if isinstance(value, str) else "")
        )
    return values


async def form_list(request: Request, name: str) -> list[str]:
    form = await request.form()
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
