"""The app factory's durable settings and the retry backoff (no broker needed)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from servicekit.embedded import EmbeddedRedis
from servicekit.jobs import backoff_delay, make_celery


def test_app_has_the_settings_that_survive_a_killed_worker() -> None:
    app = make_celery(
        "svc", broker_url="redis://cache:6379/2", visibility_timeout=900, task_time_limit=600
    )

    conf = app.conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1
    assert conf.broker_transport_options == {
        "visibility_timeout": 900,
        "unacked_restore_interval": 2,
        "unacked_restore_throttle": 1,
    }
    assert conf.task_time_limit == 600 and conf.task_soft_time_limit == 540
    assert conf.accept_content == ["json"] and conf.task_serializer == "json"
    assert conf.result_backend == "redis://cache:6379/2"  # the broker's Redis by default
    assert conf.broker_connection_retry_on_startup is True
    assert conf.enable_utc and conf.timezone == "UTC"


def test_unix_socket_urls_are_translated_for_kombu() -> None:
    app = make_celery(
        "svc",
        broker_url="unix:///run/redis.sock?db=3",
        result_backend="redis://results:6379/1",
        broker_transport_options={"visibility_timeout": 7200, "max_connections": 20},
    )

    assert app.conf.broker_url == "redis+socket:///run/redis.sock?virtual_host=3"
    assert app.conf.result_backend == "redis://results:6379/1"
    # An override of the transport options is merged, keeping the restore settings.
    assert app.conf.broker_transport_options["unacked_restore_throttle"] == 1
    assert app.conf.broker_transport_options["max_connections"] == 20


def test_visibility_timeout_must_outlast_the_longest_task() -> None:
    with pytest.raises(ValueError, match="visibility_timeout"):
        make_celery("svc", broker_url="redis://cache", visibility_timeout=60, task_time_limit=60)


def test_embedded_redis_is_the_default_broker(tmp_path: Path) -> None:
    """A worker or web process with no REDIS_URL gets the suite's embedded Redis.

    Run in a process of its own, with its own SUITE_HOME, so that its embedded Redis is not
    the one the test session shares.
    """
    probe = (
        "from servicekit.jobs import make_celery\n"
        "app = make_celery('svc')\n"
        "with app.connection_for_write() as conn:\n"
        "    conn.ensure_connection(max_retries=1)\n"
        "    print(app.conf.broker_url, conn.default_channel.client.ping())\n"
    )
    env = {**os.environ, "SUITE_HOME": str(tmp_path)}

    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60
    )

    assert done.returncode == 0, done.stderr
    socket_path = EmbeddedRedis(tmp_path.resolve()).socket_path
    assert done.stdout.split() == [f"redis+socket://{socket_path}?virtual_host=0", "True"]


@pytest.mark.parametrize("retries", range(8))
def test_backoff_grows_exponentially_with_jitter_under_a_cap(retries: int) -> None:
    window = min(60.0, 2.0 * 2**retries)
    delays = [backoff_delay(retries, base=2.0, maximum=60.0) for _ in range(200)]

    assert all(window / 2 <= delay <= window for delay in delays)
    assert len(set(delays)) > 100  # jittered: jobs that failed together spread out


def test_backoff_rejects_negative_input() -> None:
    with pytest.raises(ValueError):
        backoff_delay(-1, base=1.0, maximum=10.0)
