"""Semantic Versioning 2.0.0 precedence: the specification's own examples and the edge cases."""

from __future__ import annotations

import random

import pytest

from modelforge.registry.semver import SemVer, compare, parse, precedence_key

# §11 of semver.org, lowest first.
SPEC_ORDER = [
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.beta",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0",
    "1.9.0",
    "1.10.0",
    "1.11.0",
    "2.0.0-rc.1",
    "2.0.0",
    "2.1.0",
    "2.1.1",
    "10.0.0",
]


def test_spec_precedence_order_is_reproduced_from_any_shuffle() -> None:
    shuffled = SPEC_ORDER[:]
    random.Random(4).shuffle(shuffled)
    assert sorted(shuffled, key=precedence_key) == SPEC_ORDER


@pytest.mark.parametrize(
    ("lower", "higher"),
    [
        ("2.0.0-rc.1", "2.0.0"),
        ("1.0.0-beta", "1.0.0-beta.2"),
        ("1.0.0-beta.2", "1.0.0"),
        ("1.0.0-beta.2", "1.0.0-beta.11"),  # numeric identifiers compare as numbers
        ("1.0.0-11", "1.0.0-alpha"),  # numeric identifiers rank below alphanumeric ones
        ("1.0.0-rc.1", "1.0.1-alpha"),
        ("0.9.9", "1.0.0-alpha"),
        ("not-a-version", "0.0.1-alpha"),  # non-versions rank below every version
        ("1.0", "0.0.1"),
    ],
)
def test_lower_has_lower_precedence(lower: str, higher: str) -> None:
    assert compare(lower, higher) == -1
    assert compare(higher, lower) == 1


def test_build_metadata_and_v_prefix_do_not_change_precedence() -> None:
    assert compare("1.0.0+build.5", "1.0.0+build.1") == 0
    assert compare("v1.2.3", "1.2.3") == 0


def test_parse_reads_every_part() -> None:
    assert parse("1.2.3-rc.1+sha.5114f85") == SemVer(1, 2, 3, ("rc", "1"), "sha.5114f85")
    assert parse(" 0.0.0 ") == SemVer(0, 0, 0)


@pytest.mark.parametrize(
    "text",
    ["1.0", "1", "01.0.0", "1.02.0", "1.0.0-", "1.0.0-01", "1.0.0+", "1.0.0-a..b", "latest", ""],
)
def test_non_versions_are_refused(text: str) -> None:
    assert parse(text) is None


def test_prerelease_flag() -> None:
    assert parse("2.0.0-rc.1").is_prerelease  # type: ignore[union-attr]
    assert not parse("2.0.0").is_prerelease  # type: ignore[union-attr]
