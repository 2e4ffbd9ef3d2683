"""Access and refresh JWTs: what is accepted, and every way a token is refused."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import SecretStr

from servicekit.auth import (
    ExpiredTokenError,
    InvalidTokenError,
    TokenCodec,
    TokenSettings,
    TokenType,
    WrongTokenTypeError,
)

SECRET = SecretStr("a-long-enough-hs256-secret-for-the-tests-0123456789")


def test_access_token_round_trip_carries_all_claims(codec: TokenCodec) -> None:
    issued = codec.issue_access(
        "user-42",
        session_id="3f1b8c2e-0000-4000-8000-000000000001",
        scopes=["models:read", "predict"],
        role="admin",
        tenant_id="tenant-7",
        extra={"name": "Ada"},
    )

    claims = codec.decode(issued.token, TokenType.access)

    assert claims == issued.claims
    assert claims.subject == "user-42"
    assert claims.scopes == {"models:read", "predict"}
    assert claims.role == "admin"
    assert claims.tenant_id == "tenant-7"
    assert claims.extra == {"name": "Ada"}
    assert claims.expires_at - claims.issued_at == timedelta(minutes=30)
    assert issued.expires_in == 30 * 60


def test_payload_uses_standard_claim_names(codec: TokenCodec) -> None:
    issued = codec.issue_access("u1", scopes=["b", "a"], role="member")
    payload = jwt.decode(issued.token, options={"verify_signature": False})

    assert payload["sub"] == "u1"
    assert payload["type"] == "access"
    assert payload["scope"] == "a b"
    assert {"exp", "iat", "jti"} <= payload.keys()


def test_each_token_has_its_own_id(codec: TokenCodec) -> None:
    first = codec.issue_access("u1")
    second = codec.issue_access("u1")
    assert first.claims.token_id != second.claims.token_id


def test_lifetime_is_configurable() -> None:
    codec = TokenCodec(TokenSettings(secret=SECRET, access_ttl=timedelta(minutes=5)))
    assert codec.issue_access("u1").expires_in == 300


def test_expired_token_is_refused(codec: TokenCodec) -> None:
    long_ago = datetime.now(UTC) - timedelta(hours=2)
    issued = codec.issue_access("u1", now=long_ago)

    with pytest.raises(ExpiredTokenError, match="expired"):
        codec.decode(issued.token, TokenType.access)


def test_token_within_clock_leeway_is_accepted(codec: TokenCodec) -> None:
    issued = codec.issue_access(
        "u1", ttl=timedelta(seconds=1), now=datetime.now(UTC) - timedelta(seconds=5)
    )
    assert codec.decode(issued.token, TokenType.access).subject == "u1"


def test_tampered_payload_is_refused(codec: TokenCodec) -> None:
    header, payload, signature = codec.issue_access("u1", role="member").token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["role"] = "admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()

    with pytest.raises(InvalidTokenError) as raised:
        codec.decode(f"{header}.{forged}.{signature}", TokenType.access)
    assert type(raised.value) is InvalidTokenError


def test_token_signed_with_another_secret_is_refused(codec: TokenCodec) -> None:
    other = TokenCodec(TokenSettings(secret=SecretStr("another-secret-of-sufficient-length-0123")))
    with pytest.raises(InvalidTokenError):
        codec.decode(other.issue_access("u1").token, TokenType.access)


def test_unsigned_alg_none_token_is_refused(codec: TokenCodec) -> None:
    unsigned = jwt.encode(
        {"sub": "u1", "type": "access", "jti": "x", "iat": 1, "exp": 2**31}, None, algorithm="none"
    )
    with pytest.raises(InvalidTokenError):
        codec.decode(unsigned, TokenType.access)


def test_garbage_is_refused(codec: TokenCodec) -> None:
    with pytest.raises(InvalidTokenError):
        codec.decode("not.a.jwt", TokenType.access)


def test_refresh_token_is_refused_as_access_token(codec: TokenCodec) -> None:
    refresh = codec.issue_refresh("u1", session_id="3f1b8c2e-0000-4000-8000-000000000001")
    with pytest.raises(WrongTokenTypeError):
        codec.decode(refresh.token, TokenType.access)


def test_access_token_is_refused_as_refresh_token(codec: TokenCodec) -> None:
    with pytest.raises(WrongTokenTypeError):
        codec.decode(codec.issue_access("u1").token, TokenType.refresh)


def test_token_without_type_is_refused(codec: TokenCodec) -> None:
    untyped = jwt.encode(
        {"sub": "u1", "jti": "x", "iat": 1, "exp": 2**31}, SECRET.get_secret_value(), "HS256"
    )
    own = TokenCodec(TokenSettings(secret=SECRET))
    with pytest.raises(InvalidTokenError):
        own.decode(untyped, TokenType.access)


def test_issuer_and_audience_are_enforced() -> None:
    api = TokenCodec(TokenSettings(secret=SECRET, issuer="curiouscore", audience="api"))
    other = TokenCodec(TokenSettings(secret=SECRET, issuer="oyl", audience="api"))

    assert api.decode(api.issue_access("u1").token, TokenType.access).subject == "u1"
    with pytest.raises(InvalidTokenError):
        api.decode(other.issue_access("u1").token, TokenType.access)


def test_extra_claims_cannot_override_reserved_ones(codec: TokenCodec) -> None:
    with pytest.raises(ValueError, match="sub"):
        codec.issue_access("u1", extra={"sub": "someone-else"})


def test_asymmetric_algorithm_signs_with_private_and_verifies_with_public_key() -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    codec = TokenCodec(TokenSettings(secret=SecretStr(pem), algorithm="ES256"))

    token = codec.issue_access("u1").token

    assert jwt.get_unverified_header(token)["alg"] == "ES256"
    assert codec.decode(token, TokenType.access).subject == "u1"
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert jwt.decode(token, public_pem, algorithms=["ES256"])["sub"] == "u1"


@pytest.mark.parametrize("algorithm", ["none", "HS1024"])
def test_unknown_or_unsafe_algorithms_are_rejected_at_configuration(algorithm: str) -> None:
    with pytest.raises(ValueError, match="algorithm"):
        TokenSettings(secret=SECRET, algorithm=algorithm)
