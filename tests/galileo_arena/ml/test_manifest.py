"""``manifest.json``: parsing, round trip, and the error each broken field produces."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from galileo_arena.ml import MLModelsInvalid
from galileo_arena.ml.manifest import parse_manifest

VALID: dict[str, Any] = {
    "format_version": 1,
    "nli": {
        "hf_id": "cross-encoder/nli-deberta-v3-base",
        "sha256": "0123456789ab",
        "quantized": "int8",
        "label_map": {"0": "contradiction", "1": "entailment", "2": "neutral"},
        "input_names": ["input_ids", "attention_mask"],
        "output_name": "logits",
    },
    "embed": {
        "hf_id": "BAAI/bge-small-en-v1.5",
        "sha256": "ba9876543210",
        "quantized": "int8",
        "pooling": "cls",
        "max_tokens": 128,
        "input_names": ["input_ids", "attention_mask", "token_type_ids"],
        "output_name": "last_hidden_state",
        "exemplar_set": "abcdefabcdef",
    },
}


def test_parses_and_round_trips() -> None:
    manifest = parse_manifest(VALID)
    assert manifest.nli is not None and manifest.embed is not None
    assert manifest.nli.label_map == {0: "contradiction", 1: "entailment", 2: "neutral"}
    assert manifest.nli.entailment_index == 1
    assert manifest.embed.pooling == "cls"
    assert manifest.to_json() == VALID


def test_either_half_may_be_absent() -> None:
    document = copy.deepcopy(VALID)
    del document["nli"]
    manifest = parse_manifest(document)
    assert manifest.nli is None
    assert manifest.embed is not None


def _broken(path: tuple[str, ...], value: object) -> dict[str, Any]:
    document = copy.deepcopy(VALID)
    target = document
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return document


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "problem"),
    [
        (("format_version",), 2, "format_version"),
        (("nli", "label_map"), {"0": "contradiction", "1": "neutral"}, "exactly one 'entailment'"),
        (("nli", "label_map"), {"0": "entailment", "2": "neutral"}, "0..n-1"),
        (("nli", "label_map"), {"a": "entailment", "1": "neutral"}, "index -> label"),
        (("nli", "sha256"), "0123456789abcdef", "12 lowercase hex"),
        (("nli", "quantized"), "int4", "quantized"),
        (("nli", "input_names"), ["input_ids", "pixel_values"], "input_names"),
        (("nli", "input_names"), ["input_ids"], "input_names"),
        (("nli", "hf_id"), _DELETE, "hf_id"),
        (("embed", "pooling"), "max", "pooling"),
        (("embed", "max_tokens"), "128", "max_tokens"),
        (("embed",), [], "embed must be a JSON object"),
    ],
)
def test_each_problem_is_named(path: tuple[str, ...], value: object, problem: str) -> None:
    with pytest.raises(MLModelsInvalid) as raised:
        parse_manifest(_broken(path, value), source="models/manifest.json")
    message = str(raised.value)
    assert message.startswith("models/manifest.json: ")
    assert problem in message
