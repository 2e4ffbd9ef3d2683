"""API keys: ``<prefix>_<public id>_<secret>``, generated, parsed and checked without IO.

The public id finds the row (one indexed lookup) and may be shown in lists and logs; the secret is
shown once, at creation, and only its hash is stored. The secret is 238 random bits, so no password
stretching is needed: a keyed hash (HMAC-SHA256 with a server-side pepper) makes a stolen table
useless without the pepper and costs one hash per request. Both parts use only letters and digits,
so a double click selects the whole key.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
from dataclasses import dataclass, field

from pydantic import SecretStr

from servicekit.auth.errors import InvalidApiKeyError

_ALPHABET = string.ascii_letters + string.digits
PUBLIC_ID_LENGTH = 12  # 71 bits: collisions are negligible, and the column is unique anyway
SECRET_LENGTH = 40  # 238 bits
_PREFIX = re.compile(r"^[a-z][a-z0-9]{0,15}$")


@dataclass(frozen=True)
class ParsedApiKey:
    public_id: str
    secret: str = field(repr=False)


@dataclass(frozen=True)
class NewApiKey:
    """A key just generated: give ``plaintext`` to its owner once, store the rest."""

    plaintext: str = field(repr=False)
    public_id: str
    secret_hash: str = field(repr=False)


class ApiKeyScheme:
    """One service's keys: its prefix (``pk``, ``mf``...) and its pepper (e.g. ``API_KEY_SALT``).

    Changing the pepper invalidates every key issued under the old one.
    """

    def __init__(self, prefix: str, pepper: SecretStr) -> None:
        if not _PREFIX.match(prefix):
            raise ValueError(f"API key prefix {prefix!r}: 1-16 lowercase letters or digits")
        if not pepper.get_secret_value():
            raise ValueError("the API key pepper is empty")
        self.prefix = prefix
        self._pepper = pepper.get_secret_value().encode()

    def generate(self) -> NewApiKey:
        public_id = _random_string(PUBLIC_ID_LENGTH)
        secret = _random_string(SECRET_LENGTH)
        return NewApiKey(
            plaintext=f"{self.prefix}_{public_id}_{secret}",
            public_id=public_id,
            secret_hash=self.hash_secret(public_id, secret),
        )

    def owns(self, credential: str) -> bool:
        """Whether ``credential`` claims to be one of our keys (so not, say, a JWT)."""
        return credential.startswith(f"{self.prefix}_")

    def parse(self, plaintext: str) -> ParsedApiKey:
        """Split a presented key; anything not shaped like one of ours is ``InvalidApiKeyError``."""
        prefix, _, rest = plaintext.partition("_")
        public_id, _, secret = rest.partition("_")
        if (
            prefix != self.prefix
            or not _is_random_string(public_id, PUBLIC_ID_LENGTH)
            or not _is_random_string(secret, SECRET_LENGTH)
        ):
            raise InvalidApiKeyError("Invalid API key")
        return ParsedApiKey(public_id=public_id, secret=secret)

    def hash_secret(self, public_id: str, secret: str) -> str:
        # The public id is part of the message, so a hash copied onto another row does not verify.
        message = f"{public_id}:{secret}".encode()
        return hmac.new(self._pepper, message, hashlib.sha256).hexdigest()

    def verify(self, key: ParsedApiKey, secret_hash: str) -> bool:
        """Constant-time comparison of the presented secret against the stored hash."""
        return hmac.compare_digest(self.hash_secret(key.public_id, key.secret), secret_hash)


def _random_string(length: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def _is_random_string(value: str, length: int) -> bool:
    return len(value) == length and all(char in _ALPHABET for char in value)
