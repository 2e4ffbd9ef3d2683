"""Why a credential was refused.

The pure token and key logic raises these; the FastAPI dependencies turn every one of them into a
401 whose ``code`` tells a client what to do next (``token_expired``: refresh; anything else: log in
again), without the pure logic knowing about HTTP.
"""

from __future__ import annotations


class AuthError(Exception):
    """A presented credential is not acceptable; ``code`` is the stable machine-readable reason."""

    code = "invalid_credentials"


class InvalidTokenError(AuthError):
    """Not a token we issued: malformed, bad signature, wrong issuer/audience or unknown id."""

    code = "invalid_token"


class ExpiredTokenError(InvalidTokenError):
    """A genuine token whose ``exp`` has passed (a client should refresh, not log in again)."""

    code = "token_expired"


class WrongTokenTypeError(InvalidTokenError):
    """A genuine token used in the wrong place, e.g. a refresh token sent as an access token."""

    code = "wrong_token_type"


class RevokedTokenError(InvalidTokenError):
    """A genuine token from a session that was logged out or revoked."""

    code = "token_revoked"


class TokenReuseError(RevokedTokenError):
    """A refresh token presented after it had already been rotated.

    Only one of the legitimate client and a thief can hold the newest token, so the whole session
    (every token descended from the same login) is revoked when this is raised.
    """

    code = "token_reused"


class InvalidApiKeyError(AuthError):
    """Malformed key, unknown public id or wrong secret (deliberately not told apart)."""

    code = "invalid_api_key"


class ExpiredApiKeyError(InvalidApiKeyError):
    code = "api_key_expired"


class RevokedApiKeyError(InvalidApiKeyError):
    code = "api_key_revoked"
