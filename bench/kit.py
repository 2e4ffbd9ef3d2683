"""The kit's speed targets on these 2 cores, in one run: prints a table, writes JSON.

    .venv/bin/python bench/kit.py        (or: make bench)

Targets: local LLM >= 50 tokens/s; embeddings >= 300 sentences/s at batch 32; event fan-out
p99 < 50 ms to 100 SSE subscribers. Each part can also run alone (bench/kit_<part>.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

from rich.console import Console

sys.path.insert(0, str(Path(__file__).parent))

from kit_embeddings import TARGET_BATCH32_PER_S, bench_embeddings
from kit_events import TARGET_P99_MS, bench_events
from kit_llm import bench_llm
from report import report


def main() -> None:
    console = Console()
    with console.status("Local LLM..."):
        llm = bench_llm()
    with console.status("Embeddings..."):
        embeddings = bench_embeddings()
    with console.status("Event fan-out to 100 SSE subscribers..."):
        events = bench_events()

    checks = [
        ("local LLM decode (tokens/s)", llm["decode_tokens_per_s"], ">= 50", lambda v: v >= 50),
        ("local LLM time to first token (ms)", llm["ttft_s"] * 1000, "-", None),
        ("embeddings batch 1 (sentences/s)", embeddings["sentences_per_s_batch1"], "-", None),
        (
            "embeddings batch 32 (sentences/s)",
            embeddings["sentences_per_s_batch32"],
            f">= {TARGET_BATCH32_PER_S}",
            lambda v: v >= TARGET_BATCH32_PER_S,
        ),
        ("event fan-out p50 (ms)", events["p50_ms"], "-", None),
        (
            "event fan-out p99 (ms)",
            events["p99_ms"],
            f"< {TARGET_P99_MS:.0f}",
            lambda v: v < TARGET_P99_MS,
        ),
    ]
    rows, met = [], True
    for name, value, target, ok in checks:
        verdict = "" if ok is None else (" ok" if ok(value) else " MISSED")
        met = met and (ok is None or ok(value))
        rows.append((f"{name} (target {target})", f"{value:.1f}{verdict}"))
    results = {"llm": llm, "embeddings": embeddings, "events": events, "targets_met": met}
    path = report("servicekit benchmarks (2 cores)", rows, results, "kit.json")
    console.print(f"Written to {path}")


if __name__ == "__main__":
    main()
