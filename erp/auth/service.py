"""Identity rules: registration, login with throttling, sessions, roles.

Callers pass the session (one transaction); functions never commit, except ``login``,
which must keep its record of a failed attempt even though it then refuses the caller.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, joinedload

from erp.auth.models import AuthSession, LoginThrottle, Role, SessionKind, User, UserRole
from erp.auth.passwords import PasswordHasher, check_policy
from erp.db import Database
from erp.errors import Conflict, DomainError, NotFound, TooManyRequests, Unauthorized
from erp.telemetry.metrics_core import LOGIN_FAILURES, count_on_commit
from erp.text_search import contains_any_case
from erp.timeutil import utcnow


class EmailTaken(Conflict):
    slug = "email-taken"


class WeakPassword(DomainError):
    status, title, slug = 422, "Password does not meet the policy", "weak-password"


class InvalidCredentials(Unauthorized):
    slug = "invalid-credentials"


class LoginThrottled(TooManyRequests):
    slug = "login-throttled"


class UserNotFound(NotFound):
    slug = "user-not-found"


class LastAdmin(Conflict):
    slug = "last-admin"


@dataclass(frozen=True)
class ThrottlePolicy:
    max_failures: int
    lockout: timedelta


@dataclass(frozen=True)
class IssuedSession:
    token: str
    expires_at: datetime
    user_id: int


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalize_email(email: str) -> str:
    return email.strip().lower()


def get_user(session: Session, *, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise UserNotFound(f"user {user_id} does not exist")
    return user


def find_user_by_email(session: Session, *, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalize_email(email)))


def register_user(
    session: Session,
    *,
    hasher: PasswordHasher,
    email: str,
    full_name: str,
    password: str,
    roles: frozenset[Role] = frozenset(),
) -> User:
    """Create an account. Self-registered users get no role unless ``roles`` says otherwise."""
    email = normalize_email(email)
    try:
        check_policy(password, email=email)
    except ValueError as exc:
        raise WeakPassword(f"password {exc}") from exc
    if find_user_by_email(session, email=email) is not None:
        raise EmailTaken(f"an account for {email} exists already")
    user = User(email=email, full_name=full_name.strip(), password_hash=hasher.hash(password))
    user.role_grants = [UserRole(role=role) for role in sorted(roles)]
    session.add(user)
    session.flush()
    return user


def count_users(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User)) or 0


def issue_session(
    session: Session, *, user: User, kind: SessionKind, lifetime: timedelta
) -> IssuedSession:
    token = secrets.token_urlsafe(32)
    expires_at = utcnow() + lifetime
    session.add(
        AuthSession(token_hash=token_digest(token), user=user, kind=kind, expires_at=expires_at)
    )
    session.flush()
    return IssuedSession(token=token, expires_at=expires_at, user_id=user.id)


def login(
    database: Database,
    *,
    hasher: PasswordHasher,
    throttle: ThrottlePolicy,
    email: str,
    password: str,
    kind: SessionKind,
    lifetime: timedelta,
    write_turn: Callable[[], AbstractContextManager[object]] = contextlib.nullcontext,
) -> IssuedSession:
    """Verify credentials and open a session; failures count against the account.

    The password is checked outside any transaction: argon2 takes ~0.2–0.5 s, and inside a
    write transaction it held SQLite's single write lock that long — every other write of the
    process (an order confirmed, a payment booked) waited behind each login. The write
    transaction afterwards re-reads what the check relied on and refuses if it changed; it
    waits for ``write_turn`` (the app's queue of writes, erp.deps.write_turn_in_thread) first.
    """
    email = normalize_email(email)
    now = utcnow()
    with database.transaction(write=False) as session:
        _refuse_if_locked(session.get(LoginThrottle, email), now)
        user = find_user_by_email(session, email=email)
        checked_hash = user.password_hash if user is not None else None
    verification = hasher.verify(password, checked_hash)
    with write_turn(), database.transaction() as session:
        record = session.get(LoginThrottle, email)
        _refuse_if_locked(record, now)  # other failures may have locked it meanwhile
        user = find_user_by_email(session, email=email)
        unchanged = user is not None and user.password_hash == checked_hash
        if user is not None and unchanged and verification.ok and user.is_active:
            if record is not None:
                session.delete(record)
            if verification.new_hash:
                user.password_hash = verification.new_hash
            return issue_session(session, user=user, kind=kind, lifetime=lifetime)
        _count_failure(session, record, email=email, now=now, policy=throttle)
    raise InvalidCredentials("e-mail or password is wrong, or the account is disabled")


def _refuse_if_locked(record: LoginThrottle | None, now: datetime) -> None:
    if record is not None and record.locked_until is not None and record.locked_until > now:
        LOGIN_FAILURES.labels("throttled").inc()  # nothing to commit: refused as it is
        raise LoginThrottled(
            "too many failed logins for this account; try again later",
            retry_after_seconds=(record.locked_until - now).total_seconds(),
        )


def _count_failure(
    session: Session,
    record: LoginThrottle | None,
    *,
    email: str,
    now: datetime,
    policy: ThrottlePolicy,
) -> None:
    if record is None:
        record = LoginThrottle(email=email, failures=0, window_started_at=now)
        session.add(record)
    elif now - record.window_started_at > policy.lockout:
        record.failures, record.window_started_at, record.locked_until = 0, now, None
    record.failures += 1
    count_on_commit(session, LOGIN_FAILURES.labels("invalid_credentials"))
    if record.failures >= policy.max_failures:
        record.locked_until = now + policy.lockout


# Every API request runs this: one statement with the roles joined in (a session row, the
# user and a select-in for the roles took three), built once (building it per call cost as
# much as running it).
LIVE_SESSION_USER = (
    select(User)
    .join(AuthSession, AuthSession.user_id == User.id)
    .where(
        AuthSession.token_hash == bindparam("token_hash"),
        AuthSession.kind == bindparam("kind"),
        AuthSession.revoked_at.is_(None),
        AuthSession.expires_at > bindparam("now"),
        User.is_active.is_(True),
    )
    .options(joinedload(User.role_grants))
)


def resolve_session(session: Session, *, token: str, kind: SessionKind) -> User | None:
    """The active user behind a live session token, or None."""
    found = session.scalars(
        LIVE_SESSION_USER, {"token_hash": token_digest(token), "kind": kind, "now": utcnow()}
    )
    return found.unique().one_or_none()


def revoke_session(session: Session, *, token: str) -> None:
    auth = session.scalar(select(AuthSession).where(AuthSession.token_hash == token_digest(token)))
    if auth is not None and auth.revoked_at is None:
        auth.revoked_at = utcnow()


def list_users(
    session: Session, *, limit: int, offset: int, query: str | None = None
) -> tuple[list[User], int]:
    stmt = select(User)
    if query:
        pattern = f"%{query.lower()}%"
        stmt = stmt.where(
            contains_any_case(User.email, pattern) | contains_any_case(User.full_name, pattern)
        )
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    users = session.scalars(stmt.order_by(User.email, User.id).limit(limit).offset(offset)).all()
    return list(users), total


def _admin_count(session: Session) -> int:
    stmt = (
        select(func.count())
        .select_from(UserRole)
        .join(User, User.id == UserRole.user_id)
        .where(UserRole.role == Role.admin, User.is_active.is_(True))
    )
    return session.scalar(stmt) or 0


def set_roles(session: Session, *, user_id: int, roles: frozenset[Role], actor: User) -> User:
    """Replace a user's roles. The last active admin cannot lose the admin role."""
    user = get_user(session, user_id=user_id)
    losing_admin = Role.admin in user.roles and Role.admin not in roles and user.is_active
    if losing_admin and user.id == actor.id:
        raise LastAdmin("you cannot remove your own admin role; ask another admin")
    if losing_admin and _admin_count(session) <= 1:
        raise LastAdmin("the last active admin cannot lose the admin role")
    kept = [grant for grant in user.role_grants if grant.role in roles]
    added = [UserRole(role=role, granted_by_id=actor.id) for role in sorted(roles - user.roles)]
    user.role_grants = kept + added
    user.updated_at = utcnow()
    session.flush()
    return user


def set_active(session: Session, *, user_id: int, active: bool, actor: User) -> User:
    """Enable or disable an account; disabling revokes its sessions."""
    user = get_user(session, user_id=user_id)
    if not active and user.id == actor.id:
        raise Conflict("you cannot disable your own account")
    if not active and Role.admin in user.roles and user.is_active and _admin_count(session) <= 1:
        raise LastAdmin("the last active admin cannot be disabled")
    user.is_active = active
    user.updated_at = utcnow()
    if not active:
        now = utcnow()
        for auth in session.scalars(
            select(AuthSession).where(
                AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None)
            )
        ):
            auth.revoked_at = now
    session.flush()
    return user


def ensure_admin(
    session: Session, *, hasher: PasswordHasher, email: str, full_name: str, password: str
) -> User:
    """Create an admin, or grant admin to the existing account with that e-mail."""
    user = find_user_by_email(session, email=email)
    if user is None:
        return register_user(
            session,
            hasher=hasher,
            email=email,
            full_name=full_name,
            password=password,
            roles=frozenset({Role.admin}),
        )
    if Role.admin not in user.roles:
        user.role_grants.append(UserRole(role=Role.admin))
    user.is_active = True
    session.flush()
    return user
