"""The outbound URL policy (SSRF): worked examples for production and development."""

from __future__ import annotations

import ipaddress

import pytest

from phiacta.outbound import OutboundPolicy

PRODUCTION = OutboundPolicy(restrict_addresses=True)
DEVELOPMENT = OutboundPolicy(restrict_addresses=False)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://hooks.example.org/phiacta", None),
        ("http://hooks.example.org:8080/x", None),
        ("ftp://hooks.example.org/x", "only http and https"),
        ("https://user:pw@hooks.example.org/x", "credentials"),
        ("https://hooks.example.org:5432/x", "port 5432"),
        ("http://localhost:8000/x", "localhost"),
        ("http://api.localhost/x", "localhost"),
        ("http://127.0.0.1:9000/x", "internal address"),
        ("http://10.1.2.3/x", "internal address"),
        ("http://192.168.0.7/x", "internal address"),
        ("http://169.254.169.254/latest/meta-data", "internal address"),
        ("http://[::1]:9000/x", "internal address"),
        ("http://224.0.0.1/x", "internal address"),
        ("http://8.8.8.8/x", None),
    ],
)
def test_production_refuses_internal_targets(url: str, problem: str | None) -> None:
    found = PRODUCTION.url_problem(url)
    assert (found is None) == (problem is None), found
    if problem is not None:
        assert problem in str(found)


def test_development_calls_local_receivers_but_keeps_the_other_rules() -> None:
    assert DEVELOPMENT.url_problem("http://127.0.0.1:9000/hook") is None
    assert DEVELOPMENT.url_problem("http://localhost:9000/hook") is None
    assert DEVELOPMENT.url_problem("http://127.0.0.1:6379/") is not None  # Redis's port
    assert DEVELOPMENT.url_problem("gopher://127.0.0.1/") is not None


def test_allowed_hosts_let_chosen_internal_hosts_through() -> None:
    policy = OutboundPolicy(restrict_addresses=True, allowed_hosts=("hooks.internal", "10.0.0.0/8"))
    assert policy.url_problem("http://10.20.30.40/x") is None
    assert policy.url_problem("http://192.168.1.1/x") is not None
    internal = [ipaddress.ip_address("172.16.0.5")]
    assert policy.address_problem("hooks.internal", internal) is None
    assert policy.address_problem("other.internal", internal) is not None
    # A name is judged on every address it resolves to: one inward address is enough to refuse.
    mixed = [ipaddress.ip_address("93.184.215.14"), ipaddress.ip_address("127.0.0.1")]
    assert PRODUCTION.address_problem("example.org", mixed) is not None
