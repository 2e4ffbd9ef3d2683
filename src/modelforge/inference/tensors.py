"""Request tensors in, response values out: decoding against a model's schema, and JSON encoding.

Pure logic over NumPy: no IO, no framework. A model's schema is what validation stored, a list of
``{"name", "dtype", "shape"}`` with ``null`` (or a symbolic name) for a dynamic dimension. The
dtype may be spelled as onnxruntime reports it (``tensor(float)``), as ONNX names it (``float``)
or as NumPy does (``float32``).

Casting rules, chosen so that a value never changes silently:
- float inputs take JSON integers and floats (``1`` and ``1.0`` decode to the same tensor), and
  the strings ``"NaN"``, ``"Infinity"`` and ``"-Infinity"`` (the tokens outputs use, below);
- integer inputs take integers, and floats only when they are whole (``2.0``); a value outside
  the type's range is refused instead of wrapping around;
- bool inputs take ``true``/``false`` only; string inputs take strings only.

Every problem of a request is collected and raised together as one :class:`InputError`, so a
client fixes all its inputs in one round trip.

Output encoding follows the proto3 JSON mapping that the Open Inference Protocol's JSON form
shares: NaN, +Inf and -Inf, which JSON cannot carry as numbers, become the strings ``"NaN"``,
``"Infinity"`` and ``"-Infinity"``. Keeping three distinct strings (rather than ``null``) lets a
client tell them apart and parse them back (``float("Infinity")`` works in Python and JavaScript).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

# One canonical name per element type, keyed by every spelling a schema may use.
_CANONICAL: dict[str, str] = {
    "float16": "float16",
    "half": "float16",
    "float": "float32",
    "float32": "float32",
    "double": "float64",
    "float64": "float64",
    "int8": "int8",
    "int16": "int16",
    "int32": "int32",
    "int64": "int64",
    "uint8": "uint8",
    "uint16": "uint16",
    "uint32": "uint32",
    "uint64": "uint64",
    "bool": "bool",
    "string": "string",
    "str": "string",
}

NAN_TEXT = "NaN"
POS_INF_TEXT = "Infinity"
NEG_INF_TEXT = "-Infinity"


class InputError(ValueError):
    """The request's inputs do not fit the model's schema; ``problems`` lists each one."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


def canonical_dtype(dtype: str) -> str | None:
    """``float32``, ``int64``, ``string``... for any accepted spelling; None when unsupported."""
    name = dtype.strip().lower()
    if name.startswith("tensor(") and name.endswith(")"):
        name = name[len("tensor(") : -1]
    return _CANONICAL.get(name)


@dataclass(frozen=True, slots=True)
class TensorSpec:
    """One input or output of a model: its element type and shape (None = dynamic dimension)."""

    name: str
    dtype: str
    """Canonical dtype (see :func:`canonical_dtype`), or the stored text for a non-tensor type."""
    shape: tuple[int | None, ...] | None
    """None when the rank itself is unknown."""

    @property
    def is_tensor(self) -> bool:
        return self.dtype in _NUMPY_DTYPES

    @classmethod
    def from_schema(cls, entry: Mapping[str, Any]) -> TensorSpec:
        raw_dtype = str(entry.get("dtype") or entry.get("type") or "")
        raw_shape = entry.get("shape")
        shape = None
        if raw_shape is not None:
            # Symbolic dims ("batch", "N") and non-positive ones are dynamic, like null.
            shape = tuple(dim if isinstance(dim, int) and dim > 0 else None for dim in raw_shape)
        return cls(str(entry["name"]), canonical_dtype(raw_dtype) or raw_dtype, shape)

    def shape_text(self) -> str:
        if self.shape is None:
            return "[any]"
        return "[" + ", ".join("?" if dim is None else str(dim) for dim in self.shape) + "]"


def parse_schema(entries: Iterable[Mapping[str, Any]]) -> list[TensorSpec]:
    return [TensorSpec.from_schema(entry) for entry in entries]


_NUMPY_DTYPES: dict[str, np.dtype[Any]] = {
    name: np.dtype(object if name == "string" else name) for name in set(_CANONICAL.values())
}


def numpy_dtype(dtype: str) -> np.dtype[Any]:
    """The NumPy dtype for a canonical dtype (strings are object arrays of ``str``)."""
    return _NUMPY_DTYPES[dtype]


def decode_inputs(
    specs: Sequence[TensorSpec],
    payload: Mapping[str, Any],
    *,
    max_elements: int | None = None,
) -> dict[str, np.ndarray]:
    """The request's inputs as arrays of the model's dtypes, checked against its schema.

    ``payload`` maps input names to nested lists (JSON) or arrays. Raises :class:`InputError`
    listing every missing, unknown or malformed input.
    """
    problems: list[str] = []
    known = {spec.name for spec in specs}
    decoded: dict[str, np.ndarray] = {}
    for spec in specs:
        if spec.name not in payload:
            problems.append(f"missing input '{spec.name}'")
            continue
        try:
            decoded[spec.name] = _decode_one(spec, payload[spec.name], max_elements)
        except _Refused as exc:
            problems.append(f"input '{spec.name}': {exc}")
    # Unknown names are refused, not dropped: a typo must not silently feed a default.
    problems.extend(f"unknown input '{name}'" for name in payload if name not in known)
    if problems:
        raise InputError(problems)
    return decoded


class _Refused(Exception):
    """Why one input was refused (becomes part of an InputError message)."""


def _decode_one(spec: TensorSpec, value: Any, max_elements: int | None) -> np.ndarray:
    if not spec.is_tensor:
        raise _Refused(f"type {spec.dtype} is not supported as an input")
    try:
        raw = np.asarray(value)
    except (ValueError, OverflowError) as exc:
        raise _Refused("values are not a rectangular array of numbers or strings") from exc
    if max_elements is not None and raw.size > max_elements:
        raise _Refused(f"{raw.size} values exceed the limit of {max_elements}")
    _check_shape(spec, raw.shape)
    if raw.dtype.kind in "UO" and numpy_dtype(spec.dtype).kind == "f":
        raw = _with_non_finite_tokens(value, raw.shape, spec.dtype)
    return _cast(raw, spec.dtype)


def _check_shape(spec: TensorSpec, shape: tuple[int, ...]) -> None:
    if spec.shape is None:
        return
    if len(shape) != len(spec.shape):
        raise _Refused(
            f"expected rank {len(spec.shape)} {spec.shape_text()}, got shape {_dims(shape)}"
        )
    for axis, (want, have) in enumerate(zip(spec.shape, shape, strict=True)):
        if want is not None and want != have:
            raise _Refused(
                f"dimension {axis} must be {want} {spec.shape_text()}, got shape {_dims(shape)}"
            )


def _dims(shape: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(dim) for dim in shape) + "]"


def _cast(raw: np.ndarray, dtype: str) -> np.ndarray:
    target = numpy_dtype(dtype)
    kind = raw.dtype.kind
    unreadable = _Refused(f"values cannot be read as {dtype}")
    if raw.size == 0:
        return raw.astype(target)
    if dtype == "string":
        if kind == "U" or (kind == "O" and all(isinstance(item, str) for item in raw.flat)):
            return raw.astype(object)
        raise unreadable
    if dtype == "bool":
        if kind == "b":
            return raw
        raise unreadable
    if kind not in "iuf":  # strings, null, objects, booleans sent to a numeric input
        raise unreadable
    if target.kind == "f":
        # Only a narrower float (or float16 from integers) can overflow to infinity.
        if raw.dtype.itemsize > target.itemsize or target.itemsize == 2:
            with np.errstate(over="ignore"):
                cast = raw.astype(target)
            if np.isfinite(cast).all():  # the usual case: one pass decides
                return cast
            if np.isinf(cast).sum() != (np.isinf(raw).sum() if kind == "f" else 0):
                raise _Refused(f"values are out of range for {dtype}")
            return cast
        return raw.astype(target)
    # Integer target.
    whole = kind != "f" or (np.all(np.isfinite(raw)) and np.all(raw == np.trunc(raw)))
    if not whole:
        raise unreadable
    info = np.iinfo(target)
    if raw.min() < info.min or raw.max() > info.max:
        raise _Refused(f"values are out of range for {dtype}")
    return raw.astype(target)


_NON_FINITE = {NAN_TEXT: math.nan, POS_INF_TEXT: math.inf, NEG_INF_TEXT: -math.inf}


def _with_non_finite_tokens(value: Any, shape: tuple[int, ...], dtype: str) -> np.ndarray:
    """A float input that carries "NaN"/"Infinity"/"-Infinity", the tokens outputs use.

    Models with imputers expect NaN for a missing value, and JSON has no other way to send it.
    Any other text (even "1.5") is refused: a number must be sent as a number.
    """
    items = np.array(value, dtype=object)
    if items.shape != shape:
        raise _Refused(f"values cannot be read as {dtype}")
    floats = np.empty(shape, dtype=np.float64)
    for index, item in np.ndenumerate(items):
        if isinstance(item, str) and item in _NON_FINITE:
            floats[index] = _NON_FINITE[item]
        elif isinstance(item, int | float) and not isinstance(item, bool):
            floats[index] = item
        else:
            raise _Refused(f"values cannot be read as {dtype}")
    return floats


def tensor_digest(inputs: Mapping[str, np.ndarray]) -> str:
    """A canonical hash of decoded tensors: names, dtypes, shapes and element bytes.

    Two requests that decode to the same tensors (``[[1, 2]]`` and ``[[1.0, 2.0]]`` for a float
    input, keys in any order) get the same digest; any change in a value, a dtype or a shape
    changes it.
    """
    digest = hashlib.blake2b(digest_size=16)
    for name in sorted(inputs):
        array = inputs[name]
        header = f"{name}\0{array.dtype.str}\0{','.join(map(str, array.shape))}\0"
        digest.update(len(header).to_bytes(4, "little") + header.encode())
        if array.dtype.kind == "O":
            # Length-prefixed UTF-8 so that ["ab", "c"] and ["a", "bc"] differ.
            for item in array.flat:
                data = str(item).encode()
                digest.update(len(data).to_bytes(8, "little") + data)
        else:
            digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def encode_value(value: Any) -> Any:
    """An output (array, ZipMap list of dicts, scalar) as plain JSON-safe Python values."""
    if isinstance(value, np.ndarray):
        return _encode_array(value)
    if isinstance(value, Mapping):
        return {_encode_key(key): encode_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [encode_value(item) for item in value]
    if isinstance(value, np.generic):
        return encode_value(value.item())
    if isinstance(value, float):
        return _encode_float(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value


def _encode_array(array: np.ndarray) -> Any:
    if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
        encoded = array.astype(object)
        encoded[np.isnan(array)] = NAN_TEXT
        encoded[np.isposinf(array)] = POS_INF_TEXT
        encoded[np.isneginf(array)] = NEG_INF_TEXT
        return encoded.tolist()
    if array.dtype.kind in "OSV":
        return encode_value(array.tolist())
    return array.tolist()


def _encode_float(value: float) -> float | str:
    if math.isfinite(value):
        return value
    if math.isnan(value):
        return NAN_TEXT
    return POS_INF_TEXT if value > 0 else NEG_INF_TEXT


def _encode_key(key: Any) -> str:
    if isinstance(key, np.generic):
        key = key.item()
    return key if isinstance(key, str) else str(key)
