"""Dataset files: find them, read them, validate them, and say exactly what is wrong with them.

A dataset file is JSON ``{id, version, description, meta, cases}`` (the upstream format). Only the
highest ``<base>_v<N>.json`` of each base name in a directory is loaded; ``N`` becomes the
dataset's version. Errors name the file, the case (id and index) and the field path, and every
problem of a file is reported at once (up to a cap), so that an author can fix a file in one pass.
A malformed file never stops the others from loading.

No database and no web framework here: the service stores what this module returns.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from galileo_arena.core.schemas import Case, EvidencePacket

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_CASES = 2000
MAX_ISSUES_PER_FILE = 50

# Identifiers end up in URLs, file names and VARCHAR columns (datasets.id is 64 characters).
_IDENTIFIER = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
# At most nine digits, so the version always fits the 32-character version column.
_VERSIONED_STEM = re.compile(r"^(?P<base>.+)_v(?P<number>\d{1,9})$")
_RULES_ERROR = "dataset_rules"


class DatasetCase(Case):
    """A case as written in a file: the shared ``Case`` with the limits of its columns.

    Unknown keys are refused so that a misspelt field (``safe_to_anwser``) is reported rather
    than silently replaced by its default.
    """

    model_config = ConfigDict(extra="forbid")

    case_id: str = Field(min_length=1, max_length=128, pattern=_IDENTIFIER)
    topic: str = Field(min_length=1, max_length=256)
    claim: str = Field(min_length=1)
    evidence_packets: tuple[EvidencePacket, ...] = Field(min_length=1)


class DatasetDocument(BaseModel):
    """The whole content of one dataset file, checked against the schema and the id rules."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, max_length=64, pattern=_IDENTIFIER)
    version: str = Field(default="", max_length=32)
    description: str = ""
    meta: dict[str, Any] = Field(default_factory=dict)
    cases: tuple[DatasetCase, ...] = Field(min_length=1, max_length=MAX_CASES)

    @model_validator(mode="after")
    def _identifiers_are_consistent(self) -> DatasetDocument:
        issues = identifier_issues(
            (index, case.case_id, [packet.eid for packet in case.evidence_packets])
            for index, case in enumerate(self.cases)
        )
        if issues:
            summary = "; ".join(issue.describe() for issue in issues[:MAX_ISSUES_PER_FILE])
            raise PydanticCustomError(_RULES_ERROR, "{summary}", {"summary": summary})
        return self


DatasetFile = DatasetDocument
"""The upstream name for the same shape."""


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem in a dataset file: where it is (case index and id, field path) and what."""

    field: str
    message: str
    index: int | None = None
    case_id: str | None = None

    def describe(self) -> str:
        where = f"{self.field}: {self.message}"
        if self.index is None:
            return where
        case = f"case {self.case_id} (index {self.index})" if self.case_id else None
        return f"{case or f'case at index {self.index}'}: {where}"


class DatasetFileError(ValueError):
    """A dataset file that cannot be loaded; ``str()`` gives one line per problem found."""

    def __init__(self, file_name: str, issues: Sequence[Issue]) -> None:
        shown = issues[:MAX_ISSUES_PER_FILE]
        lines = [f"{file_name}: {issue.describe()}" for issue in shown]
        if len(issues) > len(shown):
            lines.append(f"{file_name}: ... and {len(issues) - len(shown)} more problems")
        super().__init__("\n".join(lines))
        self.file_name = file_name
        self.issues = tuple(issues)


@dataclass(frozen=True, slots=True)
class LoadedDataset:
    document: DatasetDocument
    path: Path
    """The file it came from; for an upload, just the uploaded file's name."""
    version: str
    """The ``N`` of the ``_vN`` file name, as a string (``"0"`` without a suffix)."""
    content_hash: str
    """sha256 of the file's bytes, so that an unchanged file need not be stored again."""


@dataclass(slots=True)
class LoadReport:
    datasets: list[LoadedDataset] = field(default_factory=list)
    errors: list[DatasetFileError] = field(default_factory=list)


def builtin_directory() -> Path:
    """The directory of the dataset files shipped inside the package."""
    resource = files(__package__) / "data"
    if not isinstance(resource, Path):
        raise RuntimeError("the built-in datasets must be installed as files, not in an archive")
    return resource


def file_version(path: Path) -> tuple[str, int]:
    """``climate_v3.json`` -> ``("climate", 3)``; a name without ``_vN`` has version 0."""
    match = _VERSIONED_STEM.match(path.stem)
    if match is None:
        return path.stem, 0
    return match["base"], int(match["number"])


def discover(directory: Path) -> list[Path]:
    """The ``*.json`` files of ``directory`` to load: the highest ``_vN`` of each base name."""
    if not directory.is_dir():
        raise FileNotFoundError(f"dataset directory not found: {directory}")
    newest: dict[str, tuple[int, Path]] = {}
    # Sorted so that a tie (``x_v1.json`` beside ``x_v01.json``) is broken the same way each time.
    for path in sorted(directory.glob("*.json")):
        if not path.is_file():
            continue
        base, number = file_version(path)
        if base not in newest or number >= newest[base][0]:
            newest[base] = (number, path)
    return [path for _, path in sorted(newest.values(), key=lambda item: item[1].name)]


def load_directory(directory: Path) -> LoadReport:
    """Load every file :func:`discover` picks; a bad file is reported, the rest still load."""
    report = LoadReport()
    for path in discover(directory):
        try:
            report.datasets.append(load_path(path))
        except DatasetFileError as error:
            report.errors.append(error)
    return report


def load_path(path: Path) -> LoadedDataset:
    try:
        size = path.stat().st_size
        # Checked before reading, so that a huge file is never pulled into memory.
        if size > MAX_FILE_BYTES:
            raise DatasetFileError(path.name, [_too_large(size)])
        data = path.read_bytes()
    except OSError as error:
        raise DatasetFileError(path.name, [Issue("(file)", f"cannot be read: {error}")]) from error
    return _load(path, data)


def load_bytes(name: str, data: bytes) -> LoadedDataset:
    """Validate an uploaded file exactly as a file on disk; ``name`` gives its version."""
    return _load(Path(Path(name).name), data)


def _load(path: Path, data: bytes) -> LoadedDataset:
    document = parse_document(path.name, data)
    _, number = file_version(path)
    return LoadedDataset(
        document=document,
        path=path,
        version=str(number),
        content_hash=hashlib.sha256(data).hexdigest(),
    )


def parse_document(file_name: str, data: bytes) -> DatasetDocument:
    """Decode and validate one file's bytes, or raise one error listing all of its problems."""
    if len(data) > MAX_FILE_BYTES:
        raise DatasetFileError(file_name, [_too_large(len(data))])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        issue = Issue("(file)", f"is not UTF-8 text (byte {error.start})")
        raise DatasetFileError(file_name, [issue]) from error
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}"
        issue = Issue("(file)", f"invalid JSON at {where}: {error.msg}")
        raise DatasetFileError(file_name, [issue]) from error
    if not isinstance(raw, dict):
        issue = Issue("(document)", f"must be a JSON object, not {_json_type(raw)}")
        raise DatasetFileError(file_name, [issue])
    raw_cases = raw.get("cases")
    if isinstance(raw_cases, list) and len(raw_cases) > MAX_CASES:
        issue = Issue("cases", f"{len(raw_cases)} cases exceed the limit of {MAX_CASES}")
        raise DatasetFileError(file_name, [issue])
    try:
        # Strict: a pressure of "7" or a flag of "false" is a mistake in a hand-written file,
        # not something to coerce silently.
        return DatasetDocument.model_validate_json(text, strict=True)
    except ValidationError as error:
        raise DatasetFileError(file_name, _issues(raw, error)) from error


def identifier_issues(cases: Iterable[tuple[int, str | None, Sequence[str | None]]]) -> list[Issue]:
    """Rules the schema cannot express, over ``(index, case_id, eids)`` of each case.

    Case ids are unique in a dataset, and each evidence id is ``<case_id>-E<n>`` (n = 1, 2, ...)
    and unique in its case, so that an eid a judge cites names exactly one packet.
    A ``None`` stands for a value of the wrong type, which the schema already reports.
    """
    issues: list[Issue] = []
    first_index: dict[str, int] = {}
    for index, case_id, eids in cases:
        if case_id is not None:
            if case_id in first_index:
                duplicate = f"duplicate of the case at index {first_index[case_id]}"
                issues.append(Issue("case_id", duplicate, index, case_id))
            else:
                first_index[case_id] = index
        seen: set[str] = set()
        for position, eid in enumerate(eids):
            if eid is None:
                continue
            where = f"evidence_packets[{position}].eid"
            if case_id is not None and not _is_eid_of(eid, case_id):
                wrong = f"{eid!r} is not of the form '{case_id}-E<n>' (n = 1, 2, ...)"
                issues.append(Issue(where, wrong, index, case_id))
            if eid in seen:
                issues.append(Issue(where, f"{eid!r} is repeated in this case", index, case_id))
            seen.add(eid)
    return issues


def _is_eid_of(eid: str, case_id: str) -> bool:
    prefix = f"{case_id}-E"
    number = eid.removeprefix(prefix)
    return eid.startswith(prefix) and number.isascii() and number.isdigit() and number[0] != "0"


def _issues(raw: Mapping[str, Any], error: ValidationError) -> list[Issue]:
    """Turn pydantic's errors into issues located by case and field, plus the id rules.

    The id rules run on the raw cases as well, because pydantic checks them only once every
    field is valid, and an author wants every problem of the file at once.
    """
    raw_cases = raw.get("cases")
    cases = raw_cases if isinstance(raw_cases, list) else []
    issues = [
        _issue_from(details, cases)
        for details in error.errors()
        if details["type"] != _RULES_ERROR and not _only_echoes_item_errors(details)
    ]
    issues += identifier_issues(
        (index, _string_or_none(case, "case_id"), _raw_eids(case))
        for index, case in enumerate(cases)
    )
    return sorted(issues, key=lambda issue: -1 if issue.index is None else issue.index)


def _only_echoes_item_errors(details: Mapping[str, Any]) -> bool:
    """A list "too short after validation" whose items failed: the item errors say it all."""
    raw = details.get("input")
    minimum = details.get("ctx", {}).get("min_length")
    return (
        details["type"] == "too_short"
        and isinstance(raw, list)
        and isinstance(minimum, int)
        and len(raw) >= minimum
    )


def _issue_from(details: Mapping[str, Any], cases: Sequence[object]) -> Issue:
    location = tuple(details["loc"])
    message = str(details["msg"])
    if len(location) >= 2 and location[0] == "cases" and isinstance(location[1], int):
        index = location[1]
        case_id = _string_or_none(cases[index], "case_id") if index < len(cases) else None
        return Issue(_field_path(location[2:]) or "(case)", message, index, case_id)
    return Issue(_field_path(location) or "(document)", message)


def _field_path(location: Sequence[int | str]) -> str:
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else f".{part}" if path else str(part)
    return path


def _string_or_none(case: object, key: str) -> str | None:
    value = case.get(key) if isinstance(case, dict) else None
    return value if isinstance(value, str) and value else None


def _raw_eids(case: object) -> list[str | None]:
    packets = case.get("evidence_packets") if isinstance(case, dict) else None
    if not isinstance(packets, list):
        return []
    return [_string_or_none(packet, "eid") for packet in packets]


def _too_large(size: int) -> Issue:
    return Issue("(file)", f"{size} bytes exceed the limit of {MAX_FILE_BYTES} bytes")


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "a string" if isinstance(value, str) else "an array"
