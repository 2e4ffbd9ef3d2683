"""How ``suite up`` separates the services sharing one Redis server."""

from __future__ import annotations

from suite.compose import REDIS_DATABASES, redis_database_for, with_redis_database


def test_each_service_has_its_own_redis_database() -> None:
    installed = [*REDIS_DATABASES, "zeta", "alpha"]
    numbers = [redis_database_for(name, installed) for name in installed]
    assert len(set(numbers)) == len(numbers)
    assert 0 not in numbers  # db 0 stays for standalone services on their defaults


def test_known_services_keep_their_number_when_others_are_installed() -> None:
    assert redis_database_for("oyl") == redis_database_for("oyl", ["oyl", "aardvark"])
    assert redis_database_for("aardvark", ["oyl", "aardvark"]) > max(REDIS_DATABASES.values())


def test_database_number_goes_where_each_url_form_keeps_it() -> None:
    assert with_redis_database("redis://cache:6379/0", 4) == "redis://cache:6379/4"
    assert with_redis_database("redis://:pw@cache:6379", 2) == "redis://:pw@cache:6379/2"
    assert with_redis_database("unix:///run/redis.sock?db=0", 5) == "unix:///run/redis.sock?db=5"
    assert (
        with_redis_database("rediss://cache:6380/1?ssl_cert_reqs=none", 3)
        == "rediss://cache:6380/3?ssl_cert_reqs=none"
    )
