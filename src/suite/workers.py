"""Celery worker processes that ``suite up`` supervises next to the web server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field

from servicekit.service import Resources, ServiceSpec


@dataclass
class WorkerPool:
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, spec: ServiceSpec, resources: Resources, *, concurrency: int = 1) -> None:
        env = dict(os.environ)
        if resources.database_url:
            env["DATABASE_URL"] = resources.database_url
        if resources.redis_url:
            env["REDIS_URL"] = resources.redis_url
        self.processes[spec.name] = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "suite",
                "worker",
                spec.name,
                "--concurrency",
                str(concurrency),
            ],
            env=env,
            start_new_session=True,  # Ctrl-C reaches us first; we stop workers in order.
        )

    def stop(self, timeout: float = 20.0) -> None:
        """Warm shutdown: SIGTERM to each worker's main process only (its pool children finish
        their current task or are requeued thanks to late acks), then SIGKILL if it hangs."""
        for proc in self.processes.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.processes.values():
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.processes.clear()
