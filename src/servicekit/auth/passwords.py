"""Password hashing with Argon2id (through pwdlib).

Argon2 is deliberately slow and memory-hard, which makes one hash take tens of milliseconds of CPU:
the ``*_async`` variants run it in a worker thread so that a login does not stall every other
request on the event loop.
"""

from __future__ import annotations

from functools import cached_property

import anyio.to_thread
from pwdlib import PasswordHash
from pwdlib.exceptions import UnknownHashError
from pwdlib.hashers.argon2 import Argon2Hasher

# Argon2's own defaults (RFC 9106's "second recommended option" at 64 MiB), spelled out so that a
# change of library default shows up as a diff here rather than as a silent mass rehash.
DEFAULT_TIME_COST = 3
DEFAULT_MEMORY_COST_KIB = 65536
DEFAULT_PARALLELISM = 4


class PasswordHasher:
    """Hash and verify passwords; tell when a stored hash should be redone with current settings."""

    def __init__(
        self,
        *,
        time_cost: int = DEFAULT_TIME_COST,
        memory_cost_kib: int = DEFAULT_MEMORY_COST_KIB,
        parallelism: int = DEFAULT_PARALLELISM,
    ) -> None:
        self._hash = PasswordHash(
            [
                Argon2Hasher(
                    time_cost=time_cost, memory_cost=memory_cost_kib, parallelism=parallelism
                )
            ]
        )

    @cached_property
    def _dummy_hash(self) -> str:
        # Verified against when the account does not exist, so that "no such user" costs as much
        # time as "wrong password" and response times do not reveal which emails are registered.
        return self._hash.hash("not a password: timing equaliser")

    def hash(self, password: str) -> str:
        return self._hash.hash(password)

    def verify(self, password: str, stored_hash: str | None) -> bool:
        """True when ``password`` matches; ``stored_hash=None`` (no such user) is always False.

        A hash this hasher cannot read (corrupt, or another algorithm) fails closed.
        """
        return self.verify_and_update(password, stored_hash)[0]

    def verify_and_update(self, password: str, stored_hash: str | None) -> tuple[bool, str | None]:
        """(matches, new hash or None): a new hash is given when the stored one is outdated.

        The plaintext is only available at login, so that is the one moment a hash made with
        weaker parameters can be upgraded; the caller stores the new hash when one is returned.
        """
        if stored_hash is None:
            self._hash.verify(password, self._dummy_hash)
            return False, None
        try:
            return self._hash.verify_and_update(password, stored_hash)
        except UnknownHashError:
            return False, None

    def needs_rehash(self, stored_hash: str) -> bool:
        """True when the hash was made with other parameters than this hasher's."""
        return self._hash.current_hasher.check_needs_rehash(stored_hash)

    async def hash_async(self, password: str) -> str:
        return await anyio.to_thread.run_sync(self.hash, password)

    async def verify_async(self, password: str, stored_hash: str | None) -> bool:
        return await anyio.to_thread.run_sync(self.verify, password, stored_hash)

    async def verify_and_update_async(
        self, password: str, stored_hash: str | None
    ) -> tuple[bool, str | None]:
        return await anyio.to_thread.run_sync(self.verify_and_update, password, stored_hash)
