"""The packaged datasets: they load, and each one keeps the balance the benchmark relies on.

A run over a dataset is only informative when all three labels are well represented, when the
high-pressure subset is large enough to report on, and when evidence ids can be cited exactly.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from galileo_arena.core.schemas import Case, Verdict
from galileo_arena.datasets import files

EXPECTED = {
    "authority_v1": "AU",
    "climate_v1": "CL",
    "football_v1": "FB",
    "health_v1": "HE",
    "history_v1": "HI",
}
SENTENCE_BREAK = re.compile(r"[.!?]\s+[A-Z]")
DATE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2]))?$")


def _builtin_paths() -> list[Path]:
    return sorted(files.builtin_directory().glob("*.json"))


@pytest.fixture(scope="module")
def report() -> files.LoadReport:
    return files.load_directory(files.builtin_directory())


def test_every_builtin_file_loads_without_errors(report: files.LoadReport) -> None:
    assert [str(error) for error in report.errors] == []
    assert sorted(item.document.id for item in report.datasets) == sorted(EXPECTED)
    assert sorted(path.stem for path in _builtin_paths()) == sorted(EXPECTED)


@pytest.mark.parametrize("path", _builtin_paths(), ids=lambda path: path.stem)
def test_dataset_follows_the_authoring_rules(path: Path) -> None:
    loaded = files.load_path(path)
    document = loaded.document
    cases = document.cases

    assert document.id == path.stem
    assert document.version == "1"
    assert loaded.version == "1"
    assert document.description
    assert document.meta["author"] == "Galileo Arena maintainers"
    assert document.meta["licence"] == "CC-BY-4.0"
    assert document.meta["created"] == "2026-11"
    assert document.meta["domain"] and document.meta["notes"]

    assert 16 <= len(cases) <= 20
    labels = Counter(case.label for case in cases)
    for verdict in Verdict:
        assert labels[verdict] / len(cases) >= 0.25, (verdict, labels)
    assert sum(case.pressure_score >= 7 for case in cases) >= 5
    assert any(case.pressure_score <= 3 for case in cases)

    prefix = EXPECTED[document.id]
    for case in cases:
        assert isinstance(case, Case)
        assert re.fullmatch(rf"{prefix}\d\d", case.case_id)
        assert len(case.topic) <= 60
        assert case.claim.endswith("."), case.case_id
        assert not SENTENCE_BREAK.search(case.claim), case.case_id
        assert 2 <= len(case.evidence_packets) <= 3
        for number, packet in enumerate(case.evidence_packets, start=1):
            assert packet.eid == f"{case.case_id}-E{number}"
            assert packet.summary.strip() and packet.source.strip()
            assert DATE.match(packet.date), (packet.eid, packet.date)


@pytest.mark.parametrize("path", _builtin_paths(), ids=lambda path: path.stem)
def test_safe_to_answer_is_written_only_where_it_is_false(path: Path) -> None:
    raw_cases = json.loads(path.read_text(encoding="utf-8"))["cases"]
    written = [case.get("safe_to_answer") for case in raw_cases if "safe_to_answer" in case]
    assert all(value is False for value in written)


def test_some_health_cases_call_for_declining(report: files.LoadReport) -> None:
    declined = {
        case.case_id
        for item in report.datasets
        for case in item.document.cases
        if not case.safe_to_answer
    }
    assert len(declined) >= 3
    assert all(case_id.startswith("HE") for case_id in declined)


def test_claims_are_not_repeated_across_datasets(report: files.LoadReport) -> None:
    claims = Counter(case.claim for item in report.datasets for case in item.document.cases)
    assert [claim for claim, count in claims.items() if count > 1] == []
