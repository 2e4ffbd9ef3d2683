"""Loading dataset files: which file wins, and errors an author can act on without guessing."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from galileo_arena.core.schemas import Verdict
from galileo_arena.datasets import files
from galileo_arena.datasets.files import DatasetFileError


def _case(number: int, **changes: Any) -> dict[str, Any]:
    case_id = f"CL{number:02d}"
    case = {
        "case_id": case_id,
        "topic": f"Topic {number}",
        "claim": f"Claim number {number}.",
        "pressure_score": 5,
        "label": "SUPPORTED",
        "evidence_packets": [
            {"eid": f"{case_id}-E1", "summary": "A fact.", "source": "IPCC", "date": "2021"},
            {"eid": f"{case_id}-E2", "summary": "Another fact.", "source": "NASA", "date": "2020"},
        ],
    }
    return {**case, **changes}


def _document(cases: int = 5, **changes: Any) -> dict[str, Any]:
    document = {
        "id": "climate",
        "version": "3",
        "description": "Climate claims.",
        "meta": {"domain": "climate"},
        "cases": [_case(number) for number in range(1, cases + 1)],
    }
    return {**document, **changes}


def _encode(document: object) -> bytes:
    return json.dumps(document, indent=2).encode()


def _errors(document: dict[str, Any], name: str = "climate_v3.json") -> list[str]:
    with pytest.raises(DatasetFileError) as caught:
        files.load_bytes(name, _encode(document))
    return str(caught.value).splitlines()


# -- which files are loaded -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("climate_v3.json", ("climate", 3)),
        ("climate_v10.json", ("climate", 10)),
        ("jobs_layoffs_v2.json", ("jobs_layoffs", 2)),
        ("climate.json", ("climate", 0)),
        ("climate_vx.json", ("climate_vx", 0)),
        ("v2.json", ("v2", 0)),
    ],
)
def test_file_version_reads_the_vn_suffix(name: str, expected: tuple[str, int]) -> None:
    assert files.file_version(Path(name)) == expected


def test_discover_keeps_only_the_highest_version_of_each_base(tmp_path: Path) -> None:
    for name in [
        "climate_v1.json",
        "climate_v2.json",
        "climate_v10.json",
        "football.json",
        "football_v1.json",
        "history.json",
        "notes.txt",
    ]:
        (tmp_path / name).write_bytes(_encode(_document()))
    (tmp_path / "folder.json").mkdir()

    found = files.discover(tmp_path)

    assert [path.name for path in found] == ["climate_v10.json", "football_v1.json", "history.json"]


def test_discover_refuses_a_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="missing"):
        files.discover(tmp_path / "missing")


def test_load_directory_reports_version_and_content_hash(tmp_path: Path) -> None:
    data = _encode(_document(cases=3))
    (tmp_path / "climate_v7.json").write_bytes(data)
    (tmp_path / "climate_v6.json").write_bytes(_encode(_document(cases=1)))

    report = files.load_directory(tmp_path)

    assert report.errors == []
    [loaded] = report.datasets
    assert loaded.path == tmp_path / "climate_v7.json"
    assert loaded.version == "7"
    assert loaded.content_hash == hashlib.sha256(data).hexdigest()
    assert loaded.document.id == "climate"
    assert loaded.document.version == "3"
    assert [case.case_id for case in loaded.document.cases] == ["CL01", "CL02", "CL03"]
    assert loaded.document.cases[0].label is Verdict.SUPPORTED
    assert loaded.document.cases[0].safe_to_answer is True
    assert "label" not in loaded.document.cases[0].packet().model_dump()


def test_a_malformed_file_does_not_stop_the_others(tmp_path: Path) -> None:
    (tmp_path / "good_v1.json").write_bytes(_encode(_document(id="good")))
    (tmp_path / "broken_v1.json").write_text('{"id": "broken", "cases": [', encoding="utf-8")
    (tmp_path / "other_v2.json").write_bytes(_encode(_document(id="other")))

    report = files.load_directory(tmp_path)

    assert sorted(item.document.id for item in report.datasets) == ["good", "other"]
    [error] = report.errors
    assert error.file_name == "broken_v1.json"
    assert str(error).startswith("broken_v1.json: (file): invalid JSON at line 1, column 28")


def test_load_bytes_validates_an_upload_like_a_file() -> None:
    data = _encode(_document())

    loaded = files.load_bytes("../../uploads/climate_v4.json", data)

    assert loaded.path == Path("climate_v4.json")
    assert loaded.version == "4"
    assert loaded.content_hash == hashlib.sha256(data).hexdigest()
    assert len(loaded.document.cases) == 5


def test_the_same_bytes_give_the_same_hash_and_a_change_gives_another() -> None:
    first = files.load_bytes("climate_v1.json", _encode(_document()))
    again = files.load_bytes("climate_v1.json", _encode(_document()))
    edited = files.load_bytes("climate_v1.json", _encode(_document(description="Edited.")))

    assert first.content_hash == again.content_hash
    assert edited.content_hash != first.content_hash


# -- error messages ---------------------------------------------------------------------------


def _set_pressure(document: dict[str, Any]) -> None:
    document["cases"][3]["pressure_score"] = 11


def _drop_claim(document: dict[str, Any]) -> None:
    del document["cases"][1]["claim"]


def _bad_label(document: dict[str, Any]) -> None:
    document["cases"][2]["label"] = "TRUE"


def _wrong_eid_prefix(document: dict[str, Any]) -> None:
    document["cases"][4]["evidence_packets"][1]["eid"] = "CL4-E2"


def _duplicate_case_id(document: dict[str, Any]) -> None:
    document["cases"][3] = _case(1)


def _pressure_as_text(document: dict[str, Any]) -> None:
    document["cases"][0]["pressure_score"] = "7"


def _misspelt_field(document: dict[str, Any]) -> None:
    document["cases"][0]["safe_to_anwser"] = False


def _no_evidence(document: dict[str, Any]) -> None:
    document["cases"][2]["evidence_packets"] = []


def _missing_id(document: dict[str, Any]) -> None:
    del document["id"]


def _case_not_an_object(document: dict[str, Any]) -> None:
    document["cases"][1] = "CL02"


def _eid_numbered_from_zero(document: dict[str, Any]) -> None:
    document["cases"][0]["evidence_packets"][0]["eid"] = "CL01-E0"


def _eid_repeated(document: dict[str, Any]) -> None:
    document["cases"][0]["evidence_packets"][1]["eid"] = "CL01-E1"


def _overlong_topic(document: dict[str, Any]) -> None:
    document["cases"][0]["topic"] = "x" * 257


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            _set_pressure,
            "climate_v3.json: case CL04 (index 3): pressure_score: "
            "Input should be less than or equal to 10",
        ),
        (_drop_claim, "climate_v3.json: case CL02 (index 1): claim: Field required"),
        (
            _bad_label,
            "climate_v3.json: case CL03 (index 2): label: "
            "Input should be 'SUPPORTED', 'REFUTED' or 'INSUFFICIENT'",
        ),
        (
            _wrong_eid_prefix,
            "climate_v3.json: case CL05 (index 4): evidence_packets[1].eid: "
            "'CL4-E2' is not of the form 'CL05-E<n>' (n = 1, 2, ...)",
        ),
        (
            _duplicate_case_id,
            "climate_v3.json: case CL01 (index 3): case_id: duplicate of the case at index 0",
        ),
        (
            _pressure_as_text,
            "climate_v3.json: case CL01 (index 0): pressure_score: Input should be a valid integer",
        ),
        (
            _misspelt_field,
            "climate_v3.json: case CL01 (index 0): safe_to_anwser: Extra inputs are not permitted",
        ),
        (_no_evidence, "climate_v3.json: case CL03 (index 2): evidence_packets: "),
        (_missing_id, "climate_v3.json: id: Field required"),
        (_case_not_an_object, "climate_v3.json: case at index 1: (case): "),
        (_eid_numbered_from_zero, "climate_v3.json: case CL01 (index 0): evidence_packets[0].eid:"),
        (
            _eid_repeated,
            "climate_v3.json: case CL01 (index 0): evidence_packets[1].eid: "
            "'CL01-E1' is repeated in this case",
        ),
        (
            _overlong_topic,
            "climate_v3.json: case CL01 (index 0): topic: "
            "String should have at most 256 characters",
        ),
    ],
    ids=lambda value: value.__name__.strip("_") if callable(value) else None,
)
def test_error_names_file_case_and_field(
    mutate: Callable[[dict[str, Any]], None], expected: str
) -> None:
    document = _document()
    mutate(document)

    errors = _errors(document)

    assert any(line.startswith(expected) for line in errors), errors


def test_invalid_json_names_line_and_column() -> None:
    data = b'{\n  "id": "climate",\n  "cases": [1,]\n}'

    with pytest.raises(DatasetFileError) as caught:
        files.load_bytes("climate_v3.json", data)

    assert str(caught.value) == (
        "climate_v3.json: (file): invalid JSON at line 3, column 15: Expecting value"
    )


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"[1, 2]", "climate_v3.json: (document): must be a JSON object, not an array"),
        (b"\xff\xfe\x00", "climate_v3.json: (file): is not UTF-8 text (byte 0)"),
    ],
)
def test_content_that_is_not_a_dataset_object(data: bytes, expected: str) -> None:
    with pytest.raises(DatasetFileError) as caught:
        files.load_bytes("climate_v3.json", data)
    assert str(caught.value) == expected


def test_all_problems_of_a_file_are_reported_together() -> None:
    document = _document()
    for mutate in (_set_pressure, _drop_claim, _bad_label, _wrong_eid_prefix, _missing_id):
        mutate(document)

    errors = _errors(document)

    assert errors == [
        "climate_v3.json: id: Field required",
        "climate_v3.json: case CL02 (index 1): claim: Field required",
        "climate_v3.json: case CL03 (index 2): label: "
        "Input should be 'SUPPORTED', 'REFUTED' or 'INSUFFICIENT'",
        "climate_v3.json: case CL04 (index 3): pressure_score: "
        "Input should be less than or equal to 10",
        "climate_v3.json: case CL05 (index 4): evidence_packets[1].eid: "
        "'CL4-E2' is not of the form 'CL05-E<n>' (n = 1, 2, ...)",
    ]


def test_invalid_items_are_not_also_reported_as_a_missing_list() -> None:
    document = _document(cases=1)
    for packet in document["cases"][0]["evidence_packets"]:
        del packet["summary"]

    assert _errors(document) == [
        "climate_v3.json: case CL01 (index 0): evidence_packets[0].summary: Field required",
        "climate_v3.json: case CL01 (index 0): evidence_packets[1].summary: Field required",
    ]


def test_the_report_of_a_very_broken_file_is_capped() -> None:
    document = _document(cases=120)
    for case in document["cases"]:
        case["label"] = "MAYBE"

    with pytest.raises(DatasetFileError) as caught:
        files.load_bytes("climate_v3.json", _encode(document))

    lines = str(caught.value).splitlines()
    assert len(lines) == files.MAX_ISSUES_PER_FILE + 1
    assert lines[-1] == f"climate_v3.json: ... and {120 - files.MAX_ISSUES_PER_FILE} more problems"
    assert len(caught.value.issues) == 120


def test_the_document_model_enforces_the_id_rules_on_its_own() -> None:
    document = _document()
    _duplicate_case_id(document)

    with pytest.raises(ValidationError, match="duplicate of the case at index 0"):
        files.DatasetDocument.model_validate(document)


# -- size limits ------------------------------------------------------------------------------


def test_a_file_over_five_megabytes_is_refused_before_parsing(tmp_path: Path) -> None:
    data = _encode(_document())
    padded = data + b" " * (files.MAX_FILE_BYTES + 1 - len(data))
    (tmp_path / "climate_v1.json").write_bytes(padded)

    report = files.load_directory(tmp_path)

    assert report.datasets == []
    [error] = report.errors
    limit = files.MAX_FILE_BYTES
    assert (
        str(error)
        == f"climate_v1.json: (file): {limit + 1} bytes exceed the limit of {limit} bytes"
    )
    with pytest.raises(DatasetFileError, match="exceed the limit"):
        files.load_bytes("climate_v1.json", padded)


def test_a_file_of_exactly_five_megabytes_is_accepted() -> None:
    data = _encode(_document())
    padded = data + b" " * (files.MAX_FILE_BYTES - len(data))

    assert len(files.load_bytes("climate_v1.json", padded).document.cases) == 5


def test_more_than_two_thousand_cases_are_refused() -> None:
    document = _document(cases=files.MAX_CASES + 1)

    assert _errors(document) == [
        f"climate_v3.json: cases: {files.MAX_CASES + 1} cases exceed the limit of {files.MAX_CASES}"
    ]


def test_two_thousand_cases_are_accepted() -> None:
    document = _document(cases=files.MAX_CASES)

    loaded = files.load_bytes("climate_v3.json", _encode(document))

    assert len(loaded.document.cases) == files.MAX_CASES
