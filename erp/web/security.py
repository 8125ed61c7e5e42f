"""Web sessions and CSRF.

The session cookie carries a random token, signed (itsdangerous), HttpOnly and SameSite=Lax;
the server keeps only the token's SHA-256, so logout really ends the session. CSRF uses a
signed double submit: a random value in an HttpOnly cookie, and in every form a token that
is that value signed with the app's secret.
"""

from __future__ import annotations

import functools
import secrets
from typing import Annotated

from fastapi import Depends, Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from erp.auth import service as auth_service
from erp.auth.models import SessionKind, User
from erp.deps import AccessRule, DbSession, Services, ServicesDep
from erp.errors import DomainError, Forbidden

SESSION_COOKIE = "valeo_session"
CSRF_COOKIE = "valeo_csrf"
CSRF_FIELD = "csrf_token"


class LoginRequired(DomainError):
    """Rendered as a redirect to the login page, not as an error page."""

    status, title, slug = 401, "Please sign in", "login-required"


class CsrfFailed(Forbidden):
    slug = "csrf-failed"


def _serializer(services: Services, purpose: str) -> URLSafeTimedSerializer:
    return _serializer_for(services.settings.effective_secret_key, purpose)


@functools.lru_cache(maxsize=16)
def _serializer_for(secret_key: str, purpose: str) -> URLSafeTimedSerializer:
    # Immutable once built, and built twice on every page otherwise (session and CSRF).
    return URLSafeTimedSerializer(secret_key, salt=f"valeo-{purpose}")


def _max_age(services: Services) -> int:
    return services.settings.session_hours * 3600


def set_session_cookie(response: Response, services: Services, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        _serializer(services, "session").dumps(token),
        max_age=_max_age(services),
        httponly=True,
        samesite="lax",
        secure=services.settings.cookie_secure,
        path="/",
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")


def session_token(request: Request, services: Services) -> str | None:
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    try:
        token: str = _serializer(services, "session").loads(raw, max_age=_max_age(services))
    except BadSignature:
        return None
    return token


def current_web_user(request: Request, db: DbSession, services: ServicesDep) -> User | None:
    token = session_token(request, services)
    if token is None:
        return None
    user = auth_service.resolve_session(db, token=token, kind=SessionKind.web)
    if user is not None:
        request.state.user_id = user.id
    return user


OptionalWebUser = Annotated[User | None, Depends(current_web_user)]


class WebAllow(AccessRule):
    """Page access: signed in (else a redirect to login) and holding one of ``roles``."""

    async def __call__(self, user: OptionalWebUser) -> User:
        if user is None:
            raise LoginRequired("please sign in to continue")
        if not self.admits(user.roles):
            raise Forbidden("your roles do not include this page")
        return user


# CSRF ---------------------------------------------------------------------------------


def csrf_secret(request: Request) -> str:
    """The browser's CSRF value; a new one is made (and set by ``render``) when missing."""
    value = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf", None)
    if not value:
        value = secrets.token_urlsafe(24)
        request.state.new_csrf = value
    return str(value)


def csrf_token(request: Request, services: Services) -> str:
    return str(_serializer(services, "csrf").dumps(csrf_secret(request)))


def store_csrf_cookie(request: Request, response: Response) -> None:
    new_value = getattr(request.state, "new_csrf", None)
    if new_value:
        response.set_cookie(CSRF_COOKIE, new_value, httponly=True, samesite="lax", path="/")


async def verify_csrf(request: Request, services: ServicesDep) -> None:
    """Dependency for every form POST: the form's token must sign the cookie's value."""
    form = await request.form()
    token = form.get(CSRF_FIELD)
    cookie = request.cookies.get(CSRF_COOKIE)
    if not isinstance(token, str) or not cookie:
        raise CsrfFailed("the form has expired or did not come from this site; reload and retry")
    try:
        signed = _serializer(services, "csrf").loads(token, max_age=_max_age(services))
    except BadSignature as exc:
        raise CsrfFailed("the form's security token is invalid; reload and retry") from exc
    if not secrets.compare_digest(str(signed), cookie):
        raise CsrfFailed("the form's security token does not match this browser; reload and retry")


CsrfChecked = Depends(verify_csrf)
