"""Authentication for every service: passwords, JWTs, API keys, GitHub login, the principal.

Pure logic (``passwords``, ``tokens``, ``api_keys``, ``scopes``) does no IO; the stores
(``refresh_tokens``, ``api_key_store``) work on tables the service declares from the mixins in
``models``; ``dependencies`` and ``github`` are the FastAPI side.
"""

from servicekit.auth.api_key_store import ApiKeyStore, CreatedApiKey
from servicekit.auth.api_keys import ApiKeyScheme, NewApiKey, ParsedApiKey
from servicekit.auth.dependencies import (
    Authenticator,
    authenticator_of,
    current_principal,
    principal_rate_key,
    require,
)
from servicekit.auth.errors import (
    AuthError,
    ExpiredApiKeyError,
    ExpiredTokenError,
    InvalidApiKeyError,
    InvalidTokenError,
    RevokedApiKeyError,
    RevokedTokenError,
    TokenReuseError,
    WrongTokenTypeError,
)
from servicekit.auth.github import (
    GitHubEndpoints,
    GitHubLoginFailed,
    GitHubOAuth,
    GitHubProfile,
    GitHubUnavailable,
    github_login_router,
)
from servicekit.auth.models import ApiKeyMixin, RefreshTokenMixin
from servicekit.auth.passwords import PasswordHasher
from servicekit.auth.principal import Principal, PrincipalKind
from servicekit.auth.refresh_tokens import RefreshTokenStore
from servicekit.auth.scopes import Scopes, format_scopes, missing_scopes, parse_scopes
from servicekit.auth.tokens import IssuedToken, TokenClaims, TokenCodec, TokenSettings, TokenType

__all__ = [
    "ApiKeyMixin",
    "ApiKeyScheme",
    "ApiKeyStore",
    "AuthError",
    "Authenticator",
    "CreatedApiKey",
    "ExpiredApiKeyError",
    "ExpiredTokenError",
    "GitHubEndpoints",
    "GitHubLoginFailed",
    "GitHubOAuth",
    "GitHubProfile",
    "GitHubUnavailable",
    "InvalidApiKeyError",
    "InvalidTokenError",
    "IssuedToken",
    "NewApiKey",
    "ParsedApiKey",
    "PasswordHasher",
    "Principal",
    "PrincipalKind",
    "RefreshTokenMixin",
    "RefreshTokenStore",
    "RevokedApiKeyError",
    "RevokedTokenError",
    "Scopes",
    "TokenClaims",
    "TokenCodec",
    "TokenReuseError",
    "TokenSettings",
    "TokenType",
    "WrongTokenTypeError",
    "authenticator_of",
    "current_principal",
    "format_scopes",
    "github_login_router",
    "missing_scopes",
    "parse_scopes",
    "principal_rate_key",
    "require",
]
