"""Running Celery workers: in this process (``suite worker``) or as a child process.

Stopping, as measured: SIGTERM to the worker's *main* process is a warm shutdown (running tasks
finish, the rest stays queued). A SIGTERM to its whole process group also reaches the pool
processes, which die mid-task (``WorkerLostError``); with late acks the task is then redelivered,
so nothing is lost, but the work is done twice.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import IO

from celery import Celery


def worker_argv(
    *,
    queues: Sequence[str] | None = None,
    concurrency: int | None = None,
    loglevel: str = "INFO",
    hostname: str | None = None,
    extra: Sequence[str] = (),
) -> list[str]:
    """``celery worker`` arguments; ``None`` leaves Celery's default (all queues, one per CPU)."""
    argv = ["worker", f"--loglevel={loglevel}"]
    if queues:
        argv.append(f"--queues={','.join(queues)}")
    if concurrency:
        argv.append(f"--concurrency={concurrency}")
    if hostname:
        argv.append(f"--hostname={hostname}")
    return [*argv, *extra]


def run_worker(
    app: Celery,
    *,
    queues: Sequence[str] | None = None,
    concurrency: int | None = None,
    loglevel: str = "INFO",
    hostname: str | None = None,
    extra: Sequence[str] = (),
) -> int:
    """Run a worker in this process until it is stopped; returns its exit code.

    Call it from the main thread: the worker installs its signal handlers there. Stop it with
    SIGTERM to this process (``kill <pid>``, ``docker stop``), not to its process group.
    """
    argv = worker_argv(
        queues=queues, concurrency=concurrency, loglevel=loglevel, hostname=hostname, extra=extra
    )
    return int(app.start(argv) or 0)


def spawn_worker(
    app_spec: str,
    *,
    queues: Sequence[str] | None = None,
    concurrency: int | None = None,
    loglevel: str = "INFO",
    hostname: str | None = None,
    extra: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    output: IO[bytes] | None = None,
) -> subprocess.Popen[bytes]:
    """Start ``celery --app <app_spec> worker`` as a child process in a session of its own.

    Its own session keeps a Ctrl-C in our terminal from reaching the pool processes directly,
    and lets :func:`kill_worker` take the whole group. Stop it with :func:`stop_worker`.
    """
    command = [sys.executable, "-m", "celery", f"--app={app_spec}"]
    command += worker_argv(
        queues=queues, concurrency=concurrency, loglevel=loglevel, hostname=hostname, extra=extra
    )
    return subprocess.Popen(
        command,
        env=dict(env) if env is not None else None,
        stdout=output,
        stderr=subprocess.STDOUT if output is not None else None,
        start_new_session=True,
    )


def stop_worker(process: subprocess.Popen[bytes], *, timeout: float = 60.0) -> bool:
    """Warm shutdown (SIGTERM to the main process only); True if it ended within ``timeout``.

    Past the timeout the whole process group is killed; tasks cut short are redelivered.
    """
    return stop_workers([process], timeout=timeout)


def stop_workers(processes: Iterable[subprocess.Popen[bytes]], *, timeout: float = 60.0) -> bool:
    """:func:`stop_worker` for several workers at once: all are signalled first, then awaited
    within one shared ``timeout`` (not one each); True if every one ended in time."""
    running = [process for process in processes if process.poll() is None]
    for process in running:
        process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    all_ended = True
    for process in running:
        try:
            process.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            kill_worker(process)
            all_ended = False
    return all_ended


def kill_worker(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the worker's whole process group (main and pool processes), then reap it."""
    with contextlib.suppress(ProcessLookupError):  # the group is already gone
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
