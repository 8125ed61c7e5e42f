"""Identity rules, called directly as services on a temporary SQLite database."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from erp.auth import service
from erp.auth.models import AuthSession, LoginThrottle, Role, SessionKind, User
from erp.auth.passwords import Verification
from erp.deps import Services
from erp.errors import Conflict
from erp.timeutil import utcnow
from tests.conftest import PASSWORD

POLICY = service.ThrottlePolicy(max_failures=3, lockout=timedelta(minutes=15))


def register(db: Session, services: Services, email: str = "anna@firma.test", **kw: object) -> User:
    return service.register_user(
        db,
        hasher=services.hasher,
        email=email,
        full_name="Anna",
        password=PASSWORD,
        **kw,  # type: ignore[arg-type]
    )


def do_login(services: Services, email: str, password: str = PASSWORD) -> service.IssuedSession:
    return service.login(
        services.database,
        hasher=services.hasher,
        throttle=POLICY,
        email=email,
        password=password,
        kind=SessionKind.api,
        lifetime=timedelta(hours=1),
    )


def test_registration_normalizes_email_and_grants_no_role(db: Session, services: Services) -> None:
    user = register(db, services, email="  Anna@Firma.TEST ")
    assert user.email == "anna@firma.test"
    assert user.roles == frozenset()
    assert user.password_hash.startswith("$argon2id$")


def test_duplicate_email_is_a_conflict(db: Session, services: Services) -> None:
    register(db, services)
    with pytest.raises(service.EmailTaken):
        register(db, services, email="ANNA@firma.test")


def test_weak_password_is_refused(db: Session, services: Services) -> None:
    with pytest.raises(service.WeakPassword, match="digit or a symbol"):
        service.register_user(
            db, hasher=services.hasher, email="a@firma.test", full_name="A", password="onlyletters"
        )


def test_login_issues_a_token_that_resolves_to_the_user(services: Services) -> None:
    with services.database.transaction() as db:
        register(db, services)
    issued = do_login(services, "ANNA@firma.test")
    with services.database.transaction() as db:
        user = service.resolve_session(db, token=issued.token, kind=SessionKind.api)
        assert user is not None
        assert user.email == "anna@firma.test"
        assert service.resolve_session(db, token=issued.token, kind=SessionKind.web) is None
        stored = db.scalars(select(AuthSession.token_hash)).one()
    assert issued.token not in stored  # only the digest is kept


def test_failed_logins_lock_the_account_then_answer_429(services: Services) -> None:
    with services.database.transaction() as db:
        register(db, services)
    for _ in range(POLICY.max_failures):
        with pytest.raises(service.InvalidCredentials):
            do_login(services, "anna@firma.test", "wrong-password-1")
    with pytest.raises(service.LoginThrottled) as locked:
        do_login(services, "anna@firma.test")  # even the right password waits
    assert 1 <= locked.value.retry_after <= 15 * 60
    assert locked.value.headers()["Retry-After"] == str(locked.value.retry_after)


def test_lockout_expires_and_success_clears_the_record(services: Services) -> None:
    with services.database.transaction() as db:
        register(db, services)
    for _ in range(POLICY.max_failures):
        with pytest.raises(service.InvalidCredentials):
            do_login(services, "anna@firma.test", "wrong-password-1")
    with services.database.transaction() as db:
        record = db.get(LoginThrottle, "anna@firma.test")
        assert record is not None
        record.locked_until = utcnow() - timedelta(seconds=1)
        record.window_started_at = utcnow() - timedelta(hours=1)
    do_login(services, "anna@firma.test")
    with services.database.transaction() as db:
        assert db.get(LoginThrottle, "anna@firma.test") is None


def test_unknown_emails_are_throttled_like_accounts(services: Services) -> None:
    for _ in range(POLICY.max_failures):
        with pytest.raises(service.InvalidCredentials):
            do_login(services, "ghost@firma.test", "whatever-123")
    with pytest.raises(service.LoginThrottled):
        do_login(services, "ghost@firma.test", "whatever-123")


def test_unknown_email_spends_a_dummy_verification(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str | None] = []
    original = services.hasher.verify

    def spy(password: str, stored_hash: str | None) -> object:
        seen.append(stored_hash)
        return original(password, stored_hash)

    monkeypatch.setattr(services.hasher, "verify", spy)
    with pytest.raises(service.InvalidCredentials):
        do_login(services, "ghost@firma.test", "whatever-123")
    assert seen == [None]  # the hasher then verifies against its dummy hash


def test_disabled_account_cannot_log_in_and_loses_sessions(services: Services) -> None:
    with services.database.transaction() as db:
        actor = register(db, services, email="boss@firma.test", roles=frozenset({Role.admin}))
        user = register(db, services)
        actor_id, user_id = actor.id, user.id
    issued = do_login(services, "anna@firma.test")
    with services.database.transaction() as db:
        service.set_active(db, user_id=user_id, active=False, actor=db.get(User, actor_id))  # type: ignore[arg-type]
    with services.database.transaction() as db:
        assert service.resolve_session(db, token=issued.token, kind=SessionKind.api) is None
    with pytest.raises(service.InvalidCredentials):
        do_login(services, "anna@firma.test")


def test_expired_and_revoked_sessions_do_not_resolve(db: Session, services: Services) -> None:
    user = register(db, services)
    expired = service.issue_session(db, user=user, kind=SessionKind.api, lifetime=timedelta(0))
    live = service.issue_session(db, user=user, kind=SessionKind.api, lifetime=timedelta(hours=1))
    assert service.resolve_session(db, token=expired.token, kind=SessionKind.api) is None
    service.revoke_session(db, token=live.token)
    assert service.resolve_session(db, token=live.token, kind=SessionKind.api) is None


def test_roles_are_replaced_and_the_last_admin_is_kept(db: Session, services: Services) -> None:
    admin = register(db, services, email="boss@firma.test", roles=frozenset({Role.admin}))
    user = register(db, services)
    service.set_roles(
        db, user_id=user.id, roles=frozenset({Role.sales, Role.accounting}), actor=admin
    )
    assert user.roles == {Role.sales, Role.accounting}
    service.set_roles(db, user_id=user.id, roles=frozenset({Role.sales}), actor=admin)
    assert user.roles == {Role.sales}
    with pytest.raises(service.LastAdmin):
        service.set_roles(db, user_id=admin.id, roles=frozenset(), actor=admin)
    with pytest.raises(service.LastAdmin):
        service.set_active(db, user_id=admin.id, active=False, actor=user)
    with pytest.raises(Conflict, match="own account"):
        service.set_active(db, user_id=admin.id, active=False, actor=admin)
    with pytest.raises(service.UserNotFound):
        service.set_roles(db, user_id=999, roles=frozenset(), actor=admin)


def test_second_admin_may_remove_the_first(db: Session, services: Services) -> None:
    first = register(db, services, email="one@firma.test", roles=frozenset({Role.admin}))
    second = register(db, services, email="two@firma.test", roles=frozenset({Role.admin}))
    service.set_roles(db, user_id=first.id, roles=frozenset(), actor=second)
    assert first.roles == frozenset()


def test_ensure_admin_creates_or_promotes(db: Session, services: Services) -> None:
    created = service.ensure_admin(
        db, hasher=services.hasher, email="root@firma.test", full_name="Root", password=PASSWORD
    )
    assert created.roles == {Role.admin}
    plain = register(db, services)
    promoted = service.ensure_admin(
        db, hasher=services.hasher, email=plain.email, full_name="x", password="ignored"
    )
    assert promoted.id == plain.id
    assert Role.admin in promoted.roles


def test_user_list_is_paged_searchable_and_ordered(db: Session, services: Services) -> None:
    for email in ["c@firma.test", "a@firma.test", "b@other.test"]:
        register(db, services, email=email)
    users, total = service.list_users(db, limit=2, offset=0)
    assert total == 3
    assert [u.email for u in users] == ["a@firma.test", "b@other.test"]
    users, total = service.list_users(db, limit=10, offset=0, query="FIRMA")
    assert (total, [u.email for u in users]) == (2, ["a@firma.test", "c@firma.test"])


def _checking(services: Services, during_check: Callable[[], None]) -> None:
    """Run ``during_check`` while the login's password check is under way."""
    original = services.hasher.verify

    def verify(password: str, stored_hash: str | None) -> Verification:
        during_check()
        return original(password, stored_hash)

    object.__setattr__(services.hasher, "verify", verify)


def test_the_password_is_checked_outside_any_transaction(services: Services) -> None:
    """argon2 takes a fraction of a second: no database lock may be held meanwhile (SQLite has
    one writer; a login holding it made every other write wait)."""
    with services.database.transaction() as db:
        register(db, services)
    wrote: list[bool] = []

    def another_write() -> None:
        with services.database.transaction() as other:  # BEGIN IMMEDIATE on SQLite
            other.execute(select(LoginThrottle).limit(1))
        wrote.append(True)

    _checking(services, another_write)
    assert do_login(services, "anna@firma.test").token
    assert wrote == [True]


def test_a_password_changed_during_the_check_does_not_log_in(services: Services) -> None:
    with services.database.transaction() as db:
        register(db, services)

    def change_password() -> None:
        with services.database.transaction() as other:
            user = service.find_user_by_email(other, email="anna@firma.test")
            assert user is not None
            user.password_hash = services.hasher.hash("a-new-secret-99")

    _checking(services, change_password)
    with pytest.raises(service.InvalidCredentials):
        do_login(services, "anna@firma.test")  # checked against the hash it replaced
