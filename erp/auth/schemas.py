"""Identity API models."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, Strict, field_validator

from erp.auth.models import Role
from erp.auth.passwords import MAX_LENGTH
from erp.schemas import Email, ReadModel, StrictModel


class RegisterRequest(StrictModel):
    email: Email
    full_name: str = Field(min_length=1, max_length=200, pattern=r"\S")
    password: str = Field(min_length=1, max_length=MAX_LENGTH)


class LoginRequest(StrictModel):
    email: Email
    password: str = Field(min_length=1, max_length=MAX_LENGTH)


class TokenResponse(ReadModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime


class UserRead(ReadModel):
    id: int
    email: str
    full_name: str
    is_active: bool
    roles: list[Role]
    created_at: datetime

    @field_validator("roles", mode="before")
    @classmethod
    def _sorted(cls, value: object) -> object:
        return sorted(value) if isinstance(value, set | frozenset) else value


class RolesUpdate(StrictModel):
    roles: list[Annotated[Role, Strict(False)]] = Field(
        max_length=len(Role), description="The complete set of roles the user holds afterwards"
    )
