import pytest
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from erp.auth.passwords import PasswordHasher, PasswordPolicyError, check_policy
from erp.config import ARGON2_MIN_MEMORY_KIB, ARGON2_MIN_TIME_COST, Settings


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short1!", "10 to 128"),
        ("x" * 129 + "1", "10 to 128"),
        ("1234567890", "letter"),
        ("onlyletters", "digit or a symbol"),
        ("anna.schmidt-2026", "e-mail"),
    ],
)
def test_policy_refuses(password: str, reason: str) -> None:
    with pytest.raises(PasswordPolicyError, match=reason):
        check_policy(password, email="anna.schmidt@firma.test")


@pytest.mark.parametrize("password", ["correct-horse-42", "Zehn Zeichen!", "ä" * 9 + "1"])
def test_policy_accepts(password: str) -> None:
    check_policy(password, email="anna.schmidt@firma.test")


@pytest.fixture(scope="module")
def hasher() -> PasswordHasher:
    return PasswordHasher(memory_kib=1024, time_cost=1)


def test_hash_is_argon2id_and_verifies(hasher: PasswordHasher) -> None:
    stored = hasher.hash("correct-horse-42")
    assert stored.startswith("$argon2id$")
    assert hasher.verify("correct-horse-42", stored).ok
    assert not hasher.verify("wrong-horse-42", stored).ok


def test_unknown_account_is_checked_against_the_dummy_hash(
    hasher: PasswordHasher, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[str] = []
    original = hasher._hash.verify

    def spy(password: str, stored: str) -> bool:
        checked.append(stored)
        return original(password, stored)

    monkeypatch.setattr(hasher._hash, "verify", spy)
    assert not hasher.verify("anything-1", None).ok
    assert checked == [hasher.dummy_hash]


def test_outdated_parameters_are_rehashed_on_verify() -> None:
    weak = PasswordHasher(memory_kib=1024, time_cost=1)
    strong = PasswordHasher(memory_kib=2048, time_cost=2)
    result = strong.verify("correct-horse-42", weak.hash("correct-horse-42"))
    assert result.ok
    assert result.new_hash is not None
    assert "m=2048,t=2,p=1" in result.new_hash


def test_hashes_of_more_lanes_are_rehashed_to_one() -> None:
    four_lanes = PasswordHash((Argon2Hasher(memory_cost=1024, time_cost=1, parallelism=4),))
    result = PasswordHasher(memory_kib=1024, time_cost=1).verify(
        "correct-horse-42", four_lanes.hash("correct-horse-42")
    )
    assert result.ok
    assert result.new_hash is not None
    assert "m=1024,t=1,p=1" in result.new_hash


def test_default_cost_is_at_or_above_owasps_floor() -> None:
    defaults = Settings.model_fields
    memory = defaults["argon2_memory_kib"].default
    time_cost = defaults["argon2_time_cost"].default
    assert memory >= ARGON2_MIN_MEMORY_KIB
    assert time_cost >= ARGON2_MIN_TIME_COST
    stored = PasswordHasher(memory_kib=memory, time_cost=time_cost).hash("correct-horse-42")
    assert f"$argon2id$v=19$m={memory},t={time_cost},p=1$" in stored
