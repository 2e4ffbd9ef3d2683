"""Semantic Versioning 2.0.0 precedence, as a sort key (pure logic).

Upstream sorted ``2.0.0-rc.1`` above ``2.0.0``; here a pre-release ranks below its release, its
identifiers compare numerically when numeric and lexically otherwise (numeric lower), a longer
identifier list ranks above a prefix of it, and build metadata (``+...``) is ignored. A leading
``v`` is accepted (``v1.2.3``). Strings that are not versions rank below every version; callers
break the remaining ties (equal precedence, non-versions) by creation time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUMBER = r"0|[1-9]\d*"
_IDENTIFIER = r"(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)"
_SEMVER = re.compile(
    rf"^v?(?P<major>{_NUMBER})\.(?P<minor>{_NUMBER})\.(?P<patch>{_NUMBER})"
    rf"(?:-(?P<pre>{_IDENTIFIER}(?:\.{_IDENTIFIER})*))?"
    r"(?:\+(?P<build>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$"
)

# A pre-release identifier as a comparable pair: numeric ones first, by value; then text.
Identifier = tuple[int, int, str]


@dataclass(frozen=True, order=True)
class SemVer:
    major: int
    minor: int
    patch: int
    prerelease: tuple[str, ...] = ()
    build: str | None = None

    @property
    def is_prerelease(self) -> bool:
        return bool(self.prerelease)


def parse(version: str) -> SemVer | None:
    """The version ``version`` spells, or None when it is not Semantic Versioning 2.0.0."""
    match = _SEMVER.match(version.strip())
    if match is None:
        return None
    pre = match.group("pre")
    return SemVer(
        major=int(match.group("major")),
        minor=int(match.group("minor")),
        patch=int(match.group("patch")),
        prerelease=tuple(pre.split(".")) if pre else (),
        build=match.group("build"),
    )


def _identifier_key(identifier: str) -> Identifier:
    if identifier.isdigit():
        return (0, int(identifier), "")
    return (1, 0, identifier)


def precedence_key(version: str) -> tuple[object, ...]:
    """Ascending sort key: higher precedence sorts later; non-versions sort first (lowest)."""
    parsed = parse(version)
    if parsed is None:
        return (0,)
    # A release outranks all its pre-releases: (1,) > (0, ...) for the same core version.
    release_rank: tuple[object, ...] = (
        (0, tuple(_identifier_key(part) for part in parsed.prerelease))
        if parsed.prerelease
        else (1,)
    )
    return (1, parsed.major, parsed.minor, parsed.patch, release_rank)


def compare(left: str, right: str) -> int:
    """-1, 0 or 1 as ``left`` has lower, equal or higher precedence than ``right``."""
    a, b = precedence_key(left), precedence_key(right)
    return (a > b) - (a < b)
