"""API key format, parsing and hashing (no database)."""

from __future__ import annotations

import re

import pytest
from pydantic import SecretStr

from servicekit.auth import ApiKeyScheme, InvalidApiKeyError


def test_generated_key_has_prefix_public_id_and_secret(key_scheme: ApiKeyScheme) -> None:
    new = key_scheme.generate()

    assert re.fullmatch(r"pk_[A-Za-z0-9]{12}_[A-Za-z0-9]{40}", new.plaintext)
    parsed = key_scheme.parse(new.plaintext)
    assert parsed.public_id == new.public_id
    assert key_scheme.verify(parsed, new.secret_hash)
    assert new.plaintext not in repr(new)
    assert new.plaintext.split("_")[2] not in new.secret_hash


def test_keys_are_unique(key_scheme: ApiKeyScheme) -> None:
    keys = {key_scheme.generate().plaintext for _ in range(50)}
    assert len(keys) == 50


def test_wrong_secret_does_not_verify(key_scheme: ApiKeyScheme) -> None:
    new = key_scheme.generate()
    prefix, public_id, secret = new.plaintext.split("_")
    wrong = key_scheme.parse(
        f"{prefix}_{public_id}_{secret[:-1]}{'A' if secret[-1] != 'A' else 'B'}"
    )
    assert not key_scheme.verify(wrong, new.secret_hash)


def test_hash_is_bound_to_its_public_id(key_scheme: ApiKeyScheme) -> None:
    first, second = key_scheme.generate(), key_scheme.generate()
    secret = first.plaintext.split("_")[2]
    swapped = key_scheme.parse(f"pk_{second.public_id}_{secret}")
    assert not key_scheme.verify(swapped, first.secret_hash)


def test_another_pepper_does_not_verify(key_scheme: ApiKeyScheme) -> None:
    new = key_scheme.generate()
    other = ApiKeyScheme("pk", SecretStr("another pepper"))
    assert not other.verify(other.parse(new.plaintext), new.secret_hash)


@pytest.mark.parametrize(
    "presented",
    [
        "",
        "pk_",
        "mf_abcdefghijkl_" + "a" * 40,  # another service's prefix
        "pk_abcdefghijk_" + "a" * 40,  # public id too short
        "pk_abcdefghijkl_" + "a" * 39,  # secret too short
        "pk_abcdefghij-l_" + "a" * 40,  # not alphanumeric
        "pk_abcdefghijkl_" + "a" * 39 + "_",
    ],
)
def test_malformed_keys_are_refused(key_scheme: ApiKeyScheme, presented: str) -> None:
    with pytest.raises(InvalidApiKeyError):
        key_scheme.parse(presented)


def test_owns_tells_keys_from_jwts(key_scheme: ApiKeyScheme) -> None:
    assert key_scheme.owns(key_scheme.generate().plaintext)
    assert not key_scheme.owns("eyJhbGciOiJIUzI1NiJ9.e30.sig")


@pytest.mark.parametrize("prefix", ["", "PK", "p_k", "x" * 17])
def test_prefix_must_be_short_lowercase_without_underscore(prefix: str) -> None:
    with pytest.raises(ValueError, match="prefix"):
        ApiKeyScheme(prefix, SecretStr("pepper"))
