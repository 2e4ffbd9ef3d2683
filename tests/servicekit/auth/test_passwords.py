"""Argon2id password hashing through pwdlib."""

from __future__ import annotations

from servicekit.auth import PasswordHasher

# Cheap parameters: these tests are about behaviour, not about the cost of a hash.
FAST = {"time_cost": 1, "memory_cost_kib": 8192, "parallelism": 1}


def test_hash_verifies_and_is_salted() -> None:
    hasher = PasswordHasher(**FAST)
    first = hasher.hash("correct horse battery staple")
    second = hasher.hash("correct horse battery staple")

    assert first.startswith("$argon2id$")
    assert first != second
    assert hasher.verify("correct horse battery staple", first)
    assert not hasher.verify("Correct horse battery staple", first)


def test_unknown_user_and_unreadable_hash_fail_closed() -> None:
    hasher = PasswordHasher(**FAST)
    assert not hasher.verify("anything", None)
    assert not hasher.verify("anything", "$2b$12$notanargon2hashatall")
    assert not hasher.verify("anything", "")


def test_hash_made_with_weaker_parameters_is_upgraded_at_login() -> None:
    old = PasswordHasher(**FAST).hash("s3cret!")
    current = PasswordHasher(time_cost=2, memory_cost_kib=8192, parallelism=1)

    assert current.needs_rehash(old)
    valid, new_hash = current.verify_and_update("s3cret!", old)
    assert valid
    assert new_hash is not None and not current.needs_rehash(new_hash)
    assert current.verify("s3cret!", new_hash)

    assert current.verify_and_update("wrong", old) == (False, None)
    assert current.verify_and_update("s3cret!", new_hash) == (True, None)


def test_default_parameters_are_argon2id_rfc9106() -> None:
    stored = PasswordHasher().hash("pw")
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


async def test_async_variants_run_off_the_event_loop() -> None:
    hasher = PasswordHasher(**FAST)
    stored = await hasher.hash_async("pw")
    assert await hasher.verify_async("pw", stored)
    assert await hasher.verify_and_update_async("nope", stored) == (False, None)
