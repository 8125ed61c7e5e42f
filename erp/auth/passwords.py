"""Password hashing (argon2id through pwdlib) and the password policy."""

from __future__ import annotations

from dataclasses import dataclass

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

MIN_LENGTH = 10
MAX_LENGTH = 128


class PasswordPolicyError(ValueError):
    """The password does not meet the policy."""


def check_policy(password: str, *, email: str) -> None:
    """10–128 characters, letters and at least one digit or symbol, not the e-mail itself."""
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise PasswordPolicyError(f"must be {MIN_LENGTH} to {MAX_LENGTH} characters long")
    if not any(c.isalpha() for c in password):
        raise PasswordPolicyError("must contain a letter")
    if all(c.isalpha() for c in password):
        raise PasswordPolicyError("must contain a digit or a symbol")
    lowered = password.lower()
    local_part = email.split("@", 1)[0].lower()
    if lowered == email.lower() or (len(local_part) >= 4 and local_part in lowered):
        raise PasswordPolicyError("must not contain your e-mail address")


@dataclass
class Verification:
    ok: bool
    new_hash: str | None = None  # set when the stored hash used outdated parameters


class PasswordHasher:
    """argon2id hashing. Unknown accounts are checked against a dummy hash of the same cost.

    One lane (OWASP's recommendation): more lanes buy no speed on a server whose other
    requests keep its cores busy, only threads per hash.
    """

    def __init__(self, *, memory_kib: int, time_cost: int) -> None:
        self._hash = PasswordHash(
            (Argon2Hasher(memory_cost=memory_kib, time_cost=time_cost, parallelism=1),)
        )
        self.dummy_hash = self._hash.hash("valeo-dummy-password-for-unknown-accounts")

    def hash(self, password: str) -> str:
        return self._hash.hash(password)

    def verify(self, password: str, stored_hash: str | None) -> Verification:
        """Check ``password``; with no stored hash, spend the same work and answer no."""
        if stored_hash is None:
            self._hash.verify(password, self.dummy_hash)
            return Verification(ok=False)
        ok, updated = self._hash.verify_and_update(password, stored_hash)
        return Verification(ok=ok, new_hash=updated)
