"""ModelForge's prediction path against raw onnxruntime, on these 2 cores: table + JSON.

    .venv/bin/python bench/modelforge.py          # wrk when installed, else the Python client
    .venv/bin/python bench/modelforge.py --client httpx

One small model (a scikit-learn logistic regression on 8 features, converted with skl2onnx) is
timed three ways:
- raw: ``InferenceSession.run`` in this process, the floor;
- HTTP miss: ``POST /api/v1/models/{id}/predict`` with a new input every time (decode, schema
  check, pool, inference, cache write, history row, auth) on a real server with 2 uvicorn
  workers, the embedded PostgreSQL and Redis;
- HTTP hit: the same input again and again (served from Redis).
At concurrency 1 (latency) and 16 (throughput). The client shares the 2 cores with the server,
PostgreSQL and Redis, so the HTTP figures are an upper bound of what a remote client would see.

The load generator is ``wrk`` (C, ``apt-get install wrk``) when it is on the PATH: it costs a
few µs of CPU per request, where the Python client (httpx, the fallback) costs more CPU than
the server itself and steals it from the server on these 2 cores. The table says which one ran.
Every phase also reports the CPU the server's worker processes used per request (user + system,
from /proc), the figure that does not depend on the client, and the client's own CPU per
request; every response's status and ``X-Cache`` are checked (a hit phase must be all HITs).

Targets (the issue): server overhead over raw inference p50 <= 2 ms on a miss, cache hit p50
<= 1.5 ms, >= 1000 predictions/s with 2 workers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import onnxruntime as ort
import psutil

sys.path.insert(0, str(Path(__file__).parent))

from report import report
from scratch import scratch_database
from server import uvicorn_process

from servicekit.embedded import embedded_redis

FEATURES = 8
# The Python client runs a fixed number of requests; wrk runs for a fixed time.
REQUESTS_C1 = 400
REQUESTS_C16 = 3200
WRK_SECONDS_C1 = 5
WRK_SECONDS_C16 = 8
TARGET_OVERHEAD_MS = 2.0
TARGET_HIT_MS = 1.5
TARGET_THROUGHPUT = 1000

# wrk's Lua side: one POST per request, fresh inputs (a miss) or the same one (a hit); counts
# statuses and X-Cache per thread, and prints one JSON line of results when done.
WRK_SCRIPT = r"""
local fresh = os.getenv("MF_FRESH") == "1"
local run = os.getenv("MF_RUN")
local threads = {}
local next_id = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = os.getenv("MF_AUTH")
wrk.body = '{"input_data":{"X":[[1,1,1,1,1,1,1,1]]}}'

function setup(thread)
  next_id = next_id + 1
  thread:set("id", next_id)
  table.insert(threads, thread)
end

function init(args)
  counter = 0
  statuses = {}
  caches = {}
end

function request()
  if not fresh then
    return wrk.format()
  end
  counter = counter + 1
  local body = string.format(
    '{"input_data":{"X":[[%s,%d,%d,0.1,0.2,0.3,0.4,0.5]]}}', run, id, counter)
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  local s = tostring(status)
  statuses[s] = (statuses[s] or 0) + 1
  local c = headers["x-cache"] or headers["X-Cache"] or "none"
  caches[c] = (caches[c] or 0) + 1
end

local function merge(into, from)
  for k, v in pairs(from) do into[k] = (into[k] or 0) + v end
end

local function encode(map)
  local parts = {}
  for k, v in pairs(map) do parts[#parts + 1] = string.format('"%s":%d', k, v) end
  return "{" .. table.concat(parts, ",") .. "}"
end

function done(summary, latency, requests)
  local all_statuses, all_caches = {}, {}
  for _, thread in ipairs(threads) do
    merge(all_statuses, thread:get("statuses"))
    merge(all_caches, thread:get("caches"))
  end
  local errors = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,' ..
    '"socket_errors":%d,"statuses":%s,"x_cache":%s}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    errors.connect + errors.read + errors.write + errors.timeout,
    encode(all_statuses), encode(all_caches)))
end
"""


def build_model(path: Path) -> None:
    from skl2onnx import to_onnx
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(7)
    x = rng.normal(size=(200, FEATURES)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64)
    model = LogisticRegression().fit(x, y)
    onx = to_onnx(model, x[:1], options={id(model): {"zipmap": False}}, target_opset=17)
    path.write_bytes(onx.SerializeToString())


def bench_raw(path: Path) -> dict[str, Any]:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    x = np.ones((1, FEATURES), dtype=np.float32)
    for _ in range(200):
        session.run(None, {"X": x})
    samples = []
    for _ in range(2000):
        started = time.perf_counter()
        session.run(None, {"X": x})
        samples.append((time.perf_counter() - started) * 1000)
    return _stats(samples)


def _stats(samples: list[float], elapsed: float | None = None) -> dict[str, Any]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    out = {"p50_ms": round(cuts[49], 3), "p99_ms": round(cuts[98], 3), "n": len(samples)}
    if elapsed:
        out["per_s"] = round(len(samples) / elapsed)
    return out


async def _prepare(client: httpx.AsyncClient, base: str, model_path: Path) -> tuple[dict, str]:
    credentials = {"login": "bench", "password": "bench-password-123"}
    await client.post(f"{base}/api/v1/auth/register", json=credentials)
    tokens = (await client.post(f"{base}/api/v1/auth/login", json=credentials)).json()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    created = await client.post(
        f"{base}/api/v1/models", json={"name": "bench-logreg", "version": "1.0.0"}, headers=headers
    )
    model_id = created.json()["id"]
    with model_path.open("rb") as file:
        uploaded = await client.post(
            f"{base}/api/v1/models/{model_id}/upload",
            files={"file": ("model.onnx", file, "application/octet-stream")},
            headers=headers,
        )
    uploaded.raise_for_status()
    (
        await client.post(f"{base}/api/v1/models/{model_id}/validate", headers=headers)
    ).raise_for_status()
    return headers, model_id


_phases_started = 0


def _fresh_run() -> str:
    """The first feature of a phase's fresh inputs (the phase's number), so that no phase's
    "fresh" inputs were cached by an earlier one (another run's entries have another model id
    in their keys). The other features count requests. Every value is a small integer: the
    cache key is computed over float32 tensors, where large values collapse (2**24 + 1 ==
    2**24) and would turn misses into hits."""
    global _phases_started
    _phases_started += 1
    return str(_phases_started)


class HttpxLoad:
    """The Python client: ``total`` requests over ``concurrency`` tasks in this process."""

    name = "httpx (Python)"

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def run(
        self, url: str, headers: dict[str, str], *, concurrency: int, fresh_inputs: bool
    ) -> dict[str, Any]:
        total = REQUESTS_C1 if concurrency == 1 else REQUESTS_C16
        samples: list[float] = []
        counter = iter(range(total))
        statuses: Counter[str] = Counter()
        caches: Counter[str] = Counter()
        run = float(_fresh_run())

        async def worker() -> None:
            for n in counter:
                row = [run, 0, n, 0.1, 0.2, 0.3, 0.4, 0.5] if fresh_inputs else [1.0] * FEATURES
                started = time.perf_counter()
                response = await self.client.post(
                    url, json={"input_data": {"X": [row]}}, headers=headers
                )
                samples.append((time.perf_counter() - started) * 1000)
                statuses[str(response.status_code)] += 1
                caches[response.headers.get("x-cache", "none")] += 1

        cpu_started = time.process_time()
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        result = _stats(samples, time.perf_counter() - started)
        result["client_cpu_s"] = time.process_time() - cpu_started
        result["statuses"] = dict(statuses)
        result["x_cache"] = dict(caches)
        return result


class WrkLoad:
    """wrk (C) with the Lua script above: a fixed duration per phase."""

    name = "wrk (C)"

    def __init__(self, executable: str, directory: Path) -> None:
        self.executable = executable
        self.script = directory / "predict.lua"
        self.script.write_text(WRK_SCRIPT, encoding="utf-8")

    async def run(
        self, url: str, headers: dict[str, str], *, concurrency: int, fresh_inputs: bool
    ) -> dict[str, Any]:
        seconds = WRK_SECONDS_C1 if concurrency == 1 else WRK_SECONDS_C16
        threads = 1 if concurrency == 1 else 2
        env = {
            **os.environ,
            "MF_AUTH": headers["Authorization"],
            "MF_FRESH": "1" if fresh_inputs else "0",
            "MF_RUN": _fresh_run(),
        }
        command = [self.executable, f"-t{threads}", f"-c{concurrency}", f"-d{seconds}s"]
        command += ["--timeout", "10s", "-s", str(self.script), url]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        completed = await asyncio.to_thread(
            subprocess.run, command, env=env, capture_output=True, text=True, check=True
        )
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        line = next(
            (ln for ln in completed.stdout.splitlines() if ln.startswith("WRK_RESULT ")), None
        )
        if line is None:
            raise RuntimeError(f"wrk printed no result:\n{completed.stdout}\n{completed.stderr}")
        raw = json.loads(line.removeprefix("WRK_RESULT "))
        return {
            "p50_ms": round(raw["p50_us"] / 1000, 3),
            "p99_ms": round(raw["p99_us"] / 1000, 3),
            "n": raw["requests"],
            "per_s": round(raw["requests"] / (raw["duration_us"] / 1e6)),
            "client_cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            "socket_errors": raw["socket_errors"],
            "statuses": raw["statuses"],
            "x_cache": raw["x_cache"],
        }


def _cpu_seconds(processes: list[psutil.Process]) -> float:
    total = 0.0
    for process in processes:
        times = process.cpu_times()
        total += times.user + times.system
    return total


async def _phase(
    load: HttpxLoad | WrkLoad,
    workers: list[psutil.Process],
    url: str,
    headers: dict[str, str],
    *,
    concurrency: int,
    fresh_inputs: bool,
) -> dict[str, Any]:
    """One phase, with the server workers' CPU per request and the responses checked."""
    server_before = _cpu_seconds(workers)
    result = await load.run(url, headers, concurrency=concurrency, fresh_inputs=fresh_inputs)
    server_cpu = _cpu_seconds(workers) - server_before
    requests = max(result["n"], 1)
    result["server_cpu_us_per_request"] = round(server_cpu / requests * 1e6, 1)
    result["client_cpu_us_per_request"] = round(result.pop("client_cpu_s") / requests * 1e6, 1)
    expected = "MISS" if fresh_inputs else "HIT"
    result["unexpected_status"] = result["n"] - result["statuses"].get("201", 0)
    result["unexpected_cache_status"] = result["n"] - result["x_cache"].get(expected, 0)
    return result


async def bench_http(model_path: Path, client_choice: str) -> dict[str, Any]:
    async with scratch_database("bench_modelforge") as database:
        with tempfile.TemporaryDirectory(prefix="mf-bench-") as storage:
            env = {
                **os.environ,
                "DATABASE_URL": database,
                "REDIS_URL": embedded_redis().url(5),
                "SECRET_KEY": uuid.uuid4().hex * 2,
                "LOG_LEVEL": "WARNING",
                "MODEL_STORAGE_PATH": storage,
            }
            options = ["--workers", "2", "--no-access-log"]
            async with uvicorn_process(
                "modelforge.main:app", env, health="/api/v1/live", options=options
            ) as server:
                workers = psutil.Process(server.pid).children(recursive=True)
                return await _bench_server(server.base, workers, model_path, client_choice)


async def _bench_server(
    base: str, workers: list[psutil.Process], model_path: Path, client_choice: str
) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=32, max_keepalive_connections=32)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        headers, model_id = await _prepare(client, base, model_path)
        url = f"{base}/api/v1/models/{model_id}/predict"
        with tempfile.TemporaryDirectory(prefix="mf-wrk-") as directory:
            wrk = shutil.which("wrk") if client_choice in ("auto", "wrk") else None
            if client_choice == "wrk" and wrk is None:
                raise SystemExit("wrk is not installed (apt-get install wrk)")
            load = WrkLoad(wrk, Path(directory)) if wrk else HttpxLoad(client)

            def phase(concurrency: int, fresh: bool) -> Awaitable[dict[str, Any]]:
                return _phase(
                    load, workers, url, headers, concurrency=concurrency, fresh_inputs=fresh
                )

            # Warm-up: both workers load the model and fill their credential/model caches; the
            # hit phases' input is cached once, so that every request of theirs is a hit.
            await HttpxLoad(client).run(url, headers, concurrency=4, fresh_inputs=True)
            await HttpxLoad(client).run(url, headers, concurrency=1, fresh_inputs=False)
            phases: dict[str, Callable[[], Awaitable[dict[str, Any]]]] = {
                "miss_c1": lambda: phase(1, True),
                "hit_c1": lambda: phase(1, False),
                "miss_c16": lambda: phase(16, True),
                "hit_c16": lambda: phase(16, False),
            }
            results: dict[str, Any] = {"client": load.name}
            for name, run in phases.items():
                results[name] = await run()
            return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--client",
        choices=("auto", "wrk", "httpx"),
        default="auto",
        help="load generator (auto: wrk when installed, else httpx)",
    )
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as directory:
        model_path = Path(directory) / "model.onnx"
        build_model(model_path)
        raw = bench_raw(model_path)
        http = asyncio.run(bench_http(model_path, args.client))
    overhead = round(http["miss_c1"]["p50_ms"] - raw["p50_ms"], 3)
    best_throughput = max(http["miss_c16"]["per_s"], http["hit_c16"]["per_s"])
    results = {
        "raw": raw,
        "http": http,
        "miss_overhead_p50_ms": overhead,
        "cpu_count": os.cpu_count(),
        # Other work on the machine (load average) makes every figure here worse.
        "load_average_before": round(load_before, 2),
        "load_average_after": round(os.getloadavg()[0], 2),
    }

    def row(name: str, stats: dict[str, Any]) -> tuple[str, str]:
        rate = f", {stats['per_s']:,}/s" if "per_s" in stats else ""
        cpu = ""
        if "server_cpu_us_per_request" in stats:
            cpu = (
                f"; CPU/request server {stats['server_cpu_us_per_request']:.0f} µs, "
                f"client {stats['client_cpu_us_per_request']:.0f} µs"
            )
        wrong = stats.get("unexpected_cache_status", 0) + stats.get("unexpected_status", 0)
        check = f"; {wrong} UNEXPECTED status/X-Cache" if wrong else ""
        return name, f"p50 {stats['p50_ms']:.2f} ms, p99 {stats['p99_ms']:.2f} ms{rate}{cpu}{check}"

    def verdict(ok: bool) -> str:
        return "meets" if ok else "ABOVE"

    report(
        f"ModelForge predictions vs raw onnxruntime (2 cores, 2 uvicorn workers, client: "
        f"{http['client']}, load average {load_before:.1f})",
        [
            row("raw onnxruntime, 1 row", raw),
            row("HTTP miss, concurrency 1", http["miss_c1"]),
            row("HTTP hit, concurrency 1", http["hit_c1"]),
            row("HTTP miss, concurrency 16", http["miss_c16"]),
            row("HTTP hit, concurrency 16", http["hit_c16"]),
            (
                f"server overhead on a miss, p50 ({verdict(overhead <= TARGET_OVERHEAD_MS)} "
                f"<= {TARGET_OVERHEAD_MS} ms)",
                f"{overhead:.2f} ms",
            ),
            (
                f"cache hit p50 ({verdict(http['hit_c1']['p50_ms'] <= TARGET_HIT_MS)} "
                f"<= {TARGET_HIT_MS} ms)",
                f"{http['hit_c1']['p50_ms']:.2f} ms",
            ),
            (
                f"throughput ({verdict(best_throughput >= TARGET_THROUGHPUT)} "
                f">= {TARGET_THROUGHPUT}/s)",
                f"{best_throughput:,}/s",
            ),
        ],
        results,
        "modelforge.json",
    )


if __name__ == "__main__":
    main()
