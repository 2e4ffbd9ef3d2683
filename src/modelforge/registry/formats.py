"""What an uploaded file is, from its name and first bytes (pure logic).

Only ONNX is served. Pickle-based formats (pickle, joblib, PyTorch checkpoints) run arbitrary
code when loaded, so they are refused without ever being opened, with the conversion path for
scikit-learn users; anything else that does not start like an ONNX ``ModelProto`` is refused too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

CONVERSION_HINT = (
    "convert it with skl2onnx: `from skl2onnx import to_onnx; "
    "open('model.onnx', 'wb').write(to_onnx(model, X[:1].astype('float32')).SerializeToString())`"
    " and upload the .onnx file"
)

PICKLE_SUFFIXES = frozenset({".pkl", ".pickle", ".joblib", ".sav", ".pt", ".pth", ".bin"})

# Protocol 2+ pickles start with PROTO (0x80) and the protocol number.
_PICKLE_PROTOCOLS = frozenset(range(2, 6))

# The first byte of a serialised ModelProto is the tag of one of its fields: (number << 3) | wire
# type, for ir_version (1, varint), producer_name/version, domain (2-4, bytes), model_version
# (5, varint), doc_string, graph, opset_import (6-8, bytes), metadata_props (14), and the
# multi-byte tags of training_info (20), functions (25) and configuration (26).
_MODEL_PROTO_FIRST_BYTES = frozenset(
    {0x08, 0x12, 0x1A, 0x22, 0x28, 0x32, 0x3A, 0x42, 0x72, 0xA2, 0xCA, 0xD2}
)


@dataclass(frozen=True)
class Refusal:
    """Why a file is not accepted; ``pickle`` refusals carry the conversion hint."""

    message: str
    pickle: bool = False


def _pickle_refusal(what: str) -> Refusal:
    return Refusal(
        f"{what} files are never loaded (unpickling runs arbitrary code); {CONVERSION_HINT}",
        pickle=True,
    )


def check_filename(filename: str | None) -> Refusal | None:
    """A refusal for a name that is not ``*.onnx``, else None."""
    if not filename:
        return Refusal("the upload has no file name; send a .onnx file")
    suffix = PurePosixPath(filename.replace("\\", "/")).suffix.lower()
    if suffix in PICKLE_SUFFIXES:
        return _pickle_refusal(f"{suffix}")
    if suffix != ".onnx":
        return Refusal(f"only ONNX models (.onnx) are accepted, got {suffix or 'no extension'!r}")
    return None


def looks_like_pickle(head: bytes) -> bool:
    return len(head) >= 2 and head[0] == 0x80 and head[1] in _PICKLE_PROTOCOLS


def check_content(head: bytes) -> Refusal | None:
    """A refusal when the first bytes of the file are not those of an ONNX model."""
    if looks_like_pickle(head):
        return _pickle_refusal("pickle")
    if head[:2] == b"PK":
        return _pickle_refusal("zip (PyTorch or joblib archive)")
    if not head or head[0] not in _MODEL_PROTO_FIRST_BYTES:
        return Refusal("the file is not an ONNX model (it does not start like an ONNX protobuf)")
    return None
