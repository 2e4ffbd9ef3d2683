"""``manifest.json``: what each exported model is and what the runtime needs to run it correctly.

```json
{
  "format_version": 1,
  "nli": {"hf_id": "cross-encoder/nli-deberta-v3-base", "sha256": "<12 hex>", "quantized": "int8",
          "label_map": {"0": "contradiction", "1": "entailment", "2": "neutral"},
          "input_names": ["input_ids", "attention_mask"], "output_name": "logits"},
  "embed": {"hf_id": "BAAI/bge-small-en-v1.5", "sha256": "<12 hex>", "quantized": "int8",
            "pooling": "cls", "max_tokens": 128,
            "input_names": ["input_ids", "attention_mask", "token_type_ids"],
            "output_name": "last_hidden_state", "exemplar_set": "<12 hex>"}
}
```

The NLI label map is copied from the model config's ``id2label``: the entailment column is looked up
by its name, never assumed to be index 2 (upstream's bug: for nli-deberta-v3-base index 2 is
*neutral*). A half may be absent from the manifest; the other one then runs alone.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NoReturn, get_args

from galileo_arena.ml.errors import MLModelsInvalid
from galileo_arena.ml.model_dir import MANIFEST_FILE
from servicekit.storage import write_atomically

FORMAT_VERSION = 1
ENTAILMENT_LABEL = "entailment"

Quantization = Literal["int8", "none"]
#: ``cls``: first token of ``last_hidden_state`` (BGE); ``mean``: masked mean of the token states;
#: ``pooled``: the graph already outputs unit sentence vectors (the kit's MiniLM).
Pooling = Literal["cls", "mean", "pooled"]
#: The only inputs the runtime knows how to feed.
KNOWN_INPUTS = frozenset({"input_ids", "attention_mask", "token_type_ids"})
REQUIRED_INPUTS = frozenset({"input_ids", "attention_mask"})
#: The embedder's token window, the same for every embedder a writer installs.
EMBED_MAX_TOKENS = 128
_HEX12 = re.compile(r"[0-9a-f]{12}")


@dataclass(frozen=True)
class NliModelInfo:
    hf_id: str
    sha256: str
    quantized: Quantization
    #: Logit column -> label name, from the model config's ``id2label``.
    label_map: dict[int, str]
    input_names: tuple[str, ...]
    output_name: str = "logits"

    @property
    def entailment_index(self) -> int:
        """The logit column whose label is "entailment" (any case)."""
        matches = [i for i, name in self.label_map.items() if name.lower() == ENTAILMENT_LABEL]
        if len(matches) != 1:
            raise MLModelsInvalid(
                f"the NLI label map {self.label_map} must name exactly one "
                f"'{ENTAILMENT_LABEL}' label"
            )
        return matches[0]

    def to_json(self) -> dict[str, Any]:
        return {
            "hf_id": self.hf_id,
            "sha256": self.sha256,
            "quantized": self.quantized,
            "label_map": {str(i): name for i, name in sorted(self.label_map.items())},
            "input_names": list(self.input_names),
            "output_name": self.output_name,
        }


@dataclass(frozen=True)
class EmbedModelInfo:
    hf_id: str
    sha256: str
    quantized: Quantization
    pooling: Pooling
    max_tokens: int
    input_names: tuple[str, ...]
    output_name: str
    #: Fingerprint of the exemplar sentences ``exemplars.npz`` was computed from.
    exemplar_set: str

    def to_json(self) -> dict[str, Any]:
        return {
            "hf_id": self.hf_id,
            "sha256": self.sha256,
            "quantized": self.quantized,
            "pooling": self.pooling,
            "max_tokens": self.max_tokens,
            "input_names": list(self.input_names),
            "output_name": self.output_name,
            "exemplar_set": self.exemplar_set,
        }


@dataclass(frozen=True)
class Manifest:
    nli: NliModelInfo | None = None
    embed: EmbedModelInfo | None = None

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {"format_version": FORMAT_VERSION}
        if self.nli is not None:
            document["nli"] = self.nli.to_json()
        if self.embed is not None:
            document["embed"] = self.embed.to_json()
        return document


def read_manifest(models_dir: Path) -> Manifest:
    """Parse ``models_dir/manifest.json``; every problem is an ``MLModelsInvalid`` naming it."""
    path = models_dir / MANIFEST_FILE
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise MLModelsInvalid(f"cannot read {path}: {exc}") from exc
    return parse_manifest(document, source=str(path))


def write_manifest(models_dir: Path, manifest: Manifest) -> None:
    text = json.dumps(manifest.to_json(), indent=2) + "\n"
    write_atomically(models_dir / MANIFEST_FILE, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def parse_manifest(document: object, *, source: str = MANIFEST_FILE) -> Manifest:
    """Validate a decoded manifest document into a ``Manifest``."""
    reader = _Reader(source)
    root = reader.mapping(document, "the manifest")
    version = root.get("format_version")
    if version != FORMAT_VERSION:
        reader.fail(f"format_version is {version!r}; this version reads {FORMAT_VERSION}")
    nli = _parse_nli(reader, root["nli"]) if "nli" in root else None
    embed = _parse_embed(reader, root["embed"]) if "embed" in root else None
    return Manifest(nli=nli, embed=embed)


def _parse_nli(reader: _Reader, value: object) -> NliModelInfo:
    entry = reader.mapping(value, "nli")
    raw_labels = reader.mapping(entry.get("label_map"), "nli.label_map")
    label_map: dict[int, str] = {}
    for key, name in raw_labels.items():
        if not (isinstance(key, str) and key.isdigit()) or not isinstance(name, str) or not name:
            reader.fail(f"nli.label_map entry {key!r}: {name!r} is not index -> label name")
        label_map[int(key)] = name
    if sorted(label_map) != list(range(len(label_map))) or len(label_map) < 2:
        reader.fail(f"nli.label_map must number its labels 0..n-1 (n >= 2), got {raw_labels}")
    info = NliModelInfo(
        hf_id=reader.text(entry, "hf_id", "nli"),
        sha256=reader.fingerprint(entry, "nli"),
        quantized=reader.choice(entry, "quantized", "nli", Quantization),
        label_map=label_map,
        input_names=reader.input_names(entry, "nli"),
        output_name=reader.text(entry, "output_name", "nli"),
    )
    try:
        _ = info.entailment_index
    except MLModelsInvalid as exc:
        reader.fail(str(exc))
    return info


def _parse_embed(reader: _Reader, value: object) -> EmbedModelInfo:
    entry = reader.mapping(value, "embed")
    max_tokens = entry.get("max_tokens")
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 8:
        reader.fail(f"embed.max_tokens must be an integer >= 8, got {max_tokens!r}")
    return EmbedModelInfo(
        hf_id=reader.text(entry, "hf_id", "embed"),
        sha256=reader.fingerprint(entry, "embed"),
        quantized=reader.choice(entry, "quantized", "embed", Quantization),
        pooling=reader.choice(entry, "pooling", "embed", Pooling),
        max_tokens=max_tokens,
        input_names=reader.input_names(entry, "embed"),
        output_name=reader.text(entry, "output_name", "embed"),
        exemplar_set=reader.text(entry, "exemplar_set", "embed"),
    )


class _Reader:
    """Typed field access that reports the manifest path and the offending field."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, problem: str) -> NoReturn:
        raise MLModelsInvalid(
            f"{self.source}: {problem}. Re-run the export script or `suite galileo prepare-models`."
        )

    def mapping(self, value: object, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(f"{where} must be a JSON object")
        return value

    def text(self, entry: dict[str, Any], key: str, where: str) -> str:
        value = entry.get(key)
        if not isinstance(value, str) or not value:
            self.fail(f"{where}.{key} must be a non-empty string, got {value!r}")
        return value

    def fingerprint(self, entry: dict[str, Any], where: str) -> str:
        value = self.text(entry, "sha256", where)
        if not _HEX12.fullmatch(value):
            self.fail(f"{where}.sha256 must be 12 lowercase hex characters, got {value!r}")
        return value

    def choice(self, entry: dict[str, Any], key: str, where: str, allowed: Any) -> Any:
        options = get_args(allowed)
        value = entry.get(key)
        if value not in options:
            self.fail(f"{where}.{key} must be one of {list(options)}, got {value!r}")
        return value

    def input_names(self, entry: dict[str, Any], where: str) -> tuple[str, ...]:
        value = entry.get("input_names")
        if not isinstance(value, list) or not all(isinstance(n, str) for n in value):
            self.fail(f"{where}.input_names must be a list of strings, got {value!r}")
        names = tuple(value)
        unknown = set(names) - KNOWN_INPUTS
        missing = REQUIRED_INPUTS - set(names)
        if unknown or missing:
            self.fail(
                f"{where}.input_names {list(names)}: the runtime feeds {sorted(KNOWN_INPUTS)} "
                f"and needs {sorted(REQUIRED_INPUTS)}"
            )
        return names
