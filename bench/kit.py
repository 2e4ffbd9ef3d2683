"""The kit's speed targets on these 2 cores, in one run: prints a table, writes JSON.

    .venv/bin/python bench/kit.py        (or: make bench)

Targets: local LLM >= 50 tokens/s; embeddings >= 300 sentences/s at batch 32; event fan-out
p99 < 50 ms to 100 SSE subscribers. Each part can also run alone (bench/kit_<part>.py).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parent))

from kit_embeddings import bench_embeddings
from kit_events import bench_events
from kit_llm import bench_llm

RESULTS = Path(__file__).parent / "results" / "kit.json"


def main() -> None:
    console = Console()
    with console.status("Local LLM..."):
        llm = bench_llm()
    with console.status("Embeddings..."):
        embeddings = bench_embeddings()
    with console.status("Event fan-out to 100 SSE subscribers..."):
        events = bench_events()

    rows: list[tuple[str, float, str, bool]] = [
        (
            "local LLM decode (tokens/s)",
            llm["decode_tokens_per_s"],
            ">= 50",
            llm["decode_tokens_per_s"] >= 50,
        ),
        ("local LLM time to first token (ms)", llm["ttft_s"] * 1000, "-", True),
        ("embeddings batch 1 (sentences/s)", embeddings["sentences_per_s_batch1"], "-", True),
        (
            "embeddings batch 32 (sentences/s)",
            embeddings["sentences_per_s_batch32"],
            ">= 300",
            embeddings["sentences_per_s_batch32"] >= 300,
        ),
        ("event fan-out p50 (ms)", events["p50_ms"], "-", True),
        ("event fan-out p99 (ms)", events["p99_ms"], "< 50", events["p99_ms"] < 50),
    ]
    table = Table(title="servicekit benchmarks (2 cores)")
    for column in ("measure", "value", "target", ""):
        table.add_column(column)
    for name, value, target, ok in rows:
        table.add_row(
            name, f"{value:.1f}", target, "[green]ok[/green]" if ok else "[red]MISSED[/red]"
        )
    console.print(table)

    report: dict[str, Any] = {"llm": llm, "embeddings": embeddings, "events": events}
    report["targets_met"] = all(ok for *_, ok in rows)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    console.print(f"Written to {RESULTS}")


if __name__ == "__main__":
    main()
