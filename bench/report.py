"""How every benchmark reports: a rich table on the terminal and a JSON file of its figures."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

RESULTS_DIR = Path(__file__).parent / "results"


def report(title: str, rows: Iterable[tuple[str, str]], results: dict[str, Any], name: str) -> Path:
    """Print ``rows`` (measure, value) under ``title``; write ``results`` to ``results/<name>``."""
    table = Table(title=title)
    table.add_column("measure")
    table.add_column("value", justify="right")
    for measure, value in rows:
        table.add_row(measure, value)
    Console().print(table)
    path = RESULTS_DIR / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return path
