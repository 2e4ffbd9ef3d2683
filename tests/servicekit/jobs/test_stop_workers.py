"""Stopping several worker processes shares one deadline and escalates to SIGKILL past it."""

from __future__ import annotations

import subprocess
import sys
import time

from servicekit.jobs import stop_workers

# A stand-in for a worker's main process that ignores the warm-shutdown signal (a stuck task).
IGNORES_SIGTERM = (
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
    "print('ready', flush=True); time.sleep(60)"
)


def _spawn(code: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, start_new_session=True
    )
    assert process.stdout is not None and process.stdout.readline() == b"ready\n"
    return process


def test_obedient_workers_end_on_sigterm() -> None:
    processes = [_spawn("import time; print('ready', flush=True); time.sleep(60)") for _ in "ab"]
    assert stop_workers(processes, timeout=10) is True
    assert all(process.returncode is not None for process in processes)


def test_stuck_workers_are_killed_within_one_shared_timeout() -> None:
    processes = [_spawn(IGNORES_SIGTERM) for _ in range(3)]
    started = time.monotonic()
    assert stop_workers(processes, timeout=1.0) is False
    # Signalled together and awaited against one deadline: about 1 s, not 3 x 1 s.
    assert time.monotonic() - started < 2.5
    assert all(process.returncode == -9 for process in processes)


def test_workers_that_already_ended_are_left_alone() -> None:
    process = subprocess.Popen([sys.executable, "-c", "pass"], start_new_session=True)
    process.wait()
    assert stop_workers([process], timeout=1) is True
