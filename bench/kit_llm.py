"""Speed of the kit's local LLM (llama-cpp-python running the packaged Gemma 3 270M GGUF).

Run alone: ``.venv/bin/python bench/kit_llm.py`` prints a table and writes
``bench/results/kit_llm.json``. ``bench/kit.py`` imports :func:`bench_llm`.

Three views of the same model: the engine alone (load time, time to first token and decode rate,
streamed), a whole ``LLMClient.complete`` call as a service makes it (transcript prompt, thread
hop, lock), and JSON output through a schema grammar, which costs more per token because the
grammar is checked against the whole vocabulary at every step. Each figure is the median of a few
runs after a warm-up.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from pathlib import Path
from typing import Any

from llama_cpp import Llama
from report import RESULTS_DIR, report

from servicekit.llm import LLMClient, LLMSettings
from servicekit.llm.local_model import default_model_path
from servicekit.llm.transcript import transcript_prompt

RESULTS = RESULTS_DIR / "kit_llm.json"
_RUNS = 3
_MAX_TOKENS = 64
_QUESTION = [{"role": "user", "content": "Write a short paragraph about the history of Paris."}]
_JSON_SCHEMA = {
    "type": "object",
    "properties": {"country": {"type": "string"}, "capital": {"type": "string"}},
    "required": ["country", "capital"],
}
_JSON_QUESTION = [{"role": "user", "content": "Give France and its capital as JSON."}]


def _stream_once(llama: Llama, prompt: str) -> tuple[float, float, int]:
    """(time to first token, decode tokens/s after it, tokens) for one streamed completion."""
    started = time.perf_counter()
    first = 0.0
    tokens = 0
    # No stop strings: the decode rate is measured over the full budget of tokens.
    for _chunk in llama.create_completion(
        prompt, max_tokens=_MAX_TOKENS, temperature=0.0, stream=True, stop=[]
    ):
        tokens += 1
        if tokens == 1:
            first = time.perf_counter() - started
    elapsed = time.perf_counter() - started
    decode_rate = (tokens - 1) / (elapsed - first) if tokens > 1 else 0.0
    return first, decode_rate, tokens


def _engine(path: Path, threads: int) -> dict[str, float]:
    started = time.perf_counter()
    llama = Llama(model_path=str(path), n_ctx=2048, n_threads=threads, verbose=False, seed=0)
    load_s = time.perf_counter() - started
    prompt = transcript_prompt(_QUESTION)
    try:
        _stream_once(llama, prompt)  # warm-up
        runs = [_stream_once(llama, prompt) for _ in range(_RUNS)]
    finally:
        llama.close()
    return {
        "load_s": load_s,
        "ttft_s": statistics.median(run[0] for run in runs),
        "decode_tokens_per_s": statistics.median(run[1] for run in runs),
    }


async def _client(path: Path, threads: int) -> dict[str, float]:
    settings = LLMSettings(local_llm_model_path=path, local_llm_threads=threads)
    async with LLMClient(settings) as client:

        async def rate(messages: list[dict[str, str]], **options: Any) -> tuple[float, float]:
            result = await client.complete(messages, model="local/gemma3-270m", **options)
            return result.latency_s, result.usage.completion_tokens / result.latency_s

        await rate(_QUESTION, max_tokens=8)  # warm-up: loads the model
        plain = [await rate(_QUESTION, max_tokens=_MAX_TOKENS) for _ in range(_RUNS)]
        structured = [
            await rate(_JSON_QUESTION, max_tokens=_MAX_TOKENS, json_schema=_JSON_SCHEMA)
            for _ in range(_RUNS)
        ]
    return {
        "client_latency_s": statistics.median(run[0] for run in plain),
        "client_tokens_per_s": statistics.median(run[1] for run in plain),
        "json_latency_s": statistics.median(run[0] for run in structured),
        "json_tokens_per_s": statistics.median(run[1] for run in structured),
    }


def bench_llm() -> dict[str, Any]:
    """Measure the local LLM; returns the figures written to the JSON results."""
    path = default_model_path()
    threads = os.cpu_count() or 1
    figures = {**_engine(path, threads), **asyncio.run(_client(path, threads))}
    return {
        "model": path.name,
        "threads": threads,
        "max_tokens": _MAX_TOKENS,
        **{name: round(value, 3) for name, value in figures.items()},
    }


def main() -> None:
    results = bench_llm()
    report(
        f"Local LLM: {results['model']} on {results['threads']} threads",
        [
            ("model load", f"{results['load_s']:.2f} s"),
            ("time to first token (streamed)", f"{results['ttft_s'] * 1000:.0f} ms"),
            ("decode rate (streamed)", f"{results['decode_tokens_per_s']:.1f} tok/s"),
            (
                f"LLMClient.complete, {results['max_tokens']} tokens max",
                f"{results['client_latency_s']:.2f} s, {results['client_tokens_per_s']:.1f} tok/s",
            ),
            (
                "LLMClient.complete with a JSON schema",
                f"{results['json_latency_s']:.2f} s, {results['json_tokens_per_s']:.1f} tok/s",
            ),
        ],
        results,
        RESULTS.name,
    )


if __name__ == "__main__":
    main()
