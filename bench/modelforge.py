"""ModelForge's prediction path against raw onnxruntime, on these 2 cores: table + JSON.

    .venv/bin/python bench/modelforge.py

One small model (a scikit-learn logistic regression on 8 features, converted with skl2onnx) is
timed three ways:
- raw: ``InferenceSession.run`` in this process, the floor;
- HTTP miss: ``POST /api/v1/models/{id}/predict`` with a new input every time (decode, schema
  check, pool, inference, cache write, history row, auth) on a real server with 2 uvicorn
  workers, the embedded PostgreSQL and Redis;
- HTTP hit: the same input again and again (served from Redis).
At concurrency 1 (latency) and 16 (throughput). The client shares the 2 cores with the server,
PostgreSQL and Redis, so the HTTP figures are an upper bound of what a remote client would see.

Targets (the issue): server overhead over raw inference p50 <= 2 ms on a miss, cache hit p50
<= 1.5 ms, >= 1000 predictions/s with 2 workers.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import onnxruntime as ort

sys.path.insert(0, str(Path(__file__).parent))

from report import report
from scratch import scratch_database
from server import uvicorn_server

from servicekit.embedded import embedded_redis

FEATURES = 8
REQUESTS_C1 = 400
REQUESTS_C16 = 3200
TARGET_OVERHEAD_MS = 2.0
TARGET_HIT_MS = 1.5
TARGET_THROUGHPUT = 1000


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


async def _load(
    client: httpx.AsyncClient,
    url: str,
    headers: dict[str, str],
    *,
    total: int,
    concurrency: int,
    fresh_inputs: bool,
) -> dict[str, Any]:
    samples: list[float] = []
    counter = iter(range(total))
    expected = "MISS" if fresh_inputs else "HIT"
    statuses: Counter[str] = Counter()
    # A base per run, so that no run's "fresh" inputs were already cached by an earlier one.
    base = float(uuid.uuid4().int % 1_000_000)

    async def worker() -> None:
        for n in counter:
            row = [base + n + i / 10 for i in range(FEATURES)] if fresh_inputs else [1.0] * FEATURES
            started = time.perf_counter()
            response = await client.post(url, json={"input_data": {"X": [row]}}, headers=headers)
            samples.append((time.perf_counter() - started) * 1000)
            if response.status_code != 201:
                raise RuntimeError(f"predict answered {response.status_code}: {response.text}")
            statuses[response.headers.get("x-cache", "none")] += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result = _stats(samples, time.perf_counter() - started)
    result["unexpected_cache_status"] = total - statuses[expected]
    result["x_cache"] = dict(statuses)
    return result


async def bench_http(model_path: Path) -> dict[str, Any]:
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
            async with uvicorn_server(
                "modelforge.main:app", env, health="/api/v1/live", options=options
            ) as base:
                return await _bench_server(base, model_path)


async def _bench_server(base: str, model_path: Path) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=32, max_keepalive_connections=32)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        headers, model_id = await _prepare(client, base, model_path)
        url = f"{base}/api/v1/models/{model_id}/predict"
        await _load(client, url, headers, total=200, concurrency=4, fresh_inputs=True)  # warm
        return {
            "miss_c1": await _load(
                client, url, headers, total=REQUESTS_C1, concurrency=1, fresh_inputs=True
            ),
            "hit_c1": await _load(
                client, url, headers, total=REQUESTS_C1, concurrency=1, fresh_inputs=False
            ),
            "miss_c16": await _load(
                client, url, headers, total=REQUESTS_C16, concurrency=16, fresh_inputs=True
            ),
            "hit_c16": await _load(
                client, url, headers, total=REQUESTS_C16, concurrency=16, fresh_inputs=False
            ),
        }


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        model_path = Path(directory) / "model.onnx"
        build_model(model_path)
        raw = bench_raw(model_path)
        http = asyncio.run(bench_http(model_path))
    overhead = round(http["miss_c1"]["p50_ms"] - raw["p50_ms"], 3)
    best_throughput = max(http["miss_c16"]["per_s"], http["hit_c16"]["per_s"])
    results = {
        "raw": raw,
        "http": http,
        "miss_overhead_p50_ms": overhead,
        "cpu_count": os.cpu_count(),
    }

    def row(name: str, stats: dict[str, Any]) -> tuple[str, str]:
        rate = f", {stats['per_s']:,}/s" if "per_s" in stats else ""
        return name, f"p50 {stats['p50_ms']:.2f} ms, p99 {stats['p99_ms']:.2f} ms{rate}"

    def verdict(ok: bool) -> str:
        return "meets" if ok else "ABOVE"

    report(
        "ModelForge predictions vs raw onnxruntime (2 cores, 2 uvicorn workers)",
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
