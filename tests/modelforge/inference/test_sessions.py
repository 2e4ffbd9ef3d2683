"""The session pool: real onnxruntime sessions, LRU bound, eviction, reload, single load."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from modelforge.inference.sessions import InferenceError, ModelLoadError, SessionPool
from modelforge.inference.tensors import decode_inputs, parse_schema

if TYPE_CHECKING:
    from onnx_models import BuiltModel


@pytest.fixture
def pool() -> Iterator[SessionPool]:
    sessions = SessionPool(max_sessions=2, workers=4, intra_op_threads=1)
    yield sessions
    sessions.close()


def inputs_for(model: BuiltModel, payload: dict) -> dict[str, np.ndarray]:
    return decode_inputs(parse_schema(model.inputs), payload)


async def test_classifier_label_and_zipmap(pool: SessionPool, classifier: BuiltModel) -> None:
    rows = [[3.0, 3.0, 0.0, 0.0], [-3.0, -3.0, 0.0, 0.0]]
    result = await pool.predict(
        "clf", classifier.sha256, classifier.path, inputs_for(classifier, {"features": rows})
    )
    assert result.outputs["output_label"] == [1, 0]
    probabilities = result.outputs["output_probability"]
    assert set(probabilities[0]) == {"0", "1"}
    assert probabilities[0]["1"] > 0.5 > probabilities[1]["1"]
    assert result.inference_ms > 0


async def test_regressor_batch(pool: SessionPool, regressor: BuiltModel) -> None:
    rows = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
    result = await pool.predict(
        "reg", regressor.sha256, regressor.path, inputs_for(regressor, {"x": rows})
    )
    assert np.array(result.outputs["variable"]).ravel() == pytest.approx([1.5, 2.5, 3.5], abs=1e-3)


async def test_multi_input_string_int_and_non_finite_models(
    pool: SessionPool,
    multi_input: BuiltModel,
    string_model: BuiltModel,
    int_model: BuiltModel,
    non_finite: BuiltModel,
) -> None:
    summed = await pool.predict(
        "multi",
        multi_input.sha256,
        multi_input.path,
        inputs_for(multi_input, {"a": [[1, 2, 3], [4, 5, 6]], "b": [[1, 1, 1], [0, 0, 0]]}),
    )
    assert summed.outputs == {"sum": [[2.0, 3.0, 4.0], [4.0, 5.0, 6.0]]}
    echoed = await pool.predict(
        "str",
        string_model.sha256,
        string_model.path,
        inputs_for(string_model, {"text": ["héllo", "wörld"]}),
    )
    assert echoed.outputs == {"echo": ["héllo", "wörld"]}
    doubled = await pool.predict(
        "int", int_model.sha256, int_model.path, inputs_for(int_model, {"ids": [2**40, -3]})
    )
    assert doubled.outputs == {"doubled": [2**41, -6]}
    ratios = await pool.predict(
        "nf", non_finite.sha256, non_finite.path, inputs_for(non_finite, {"x": [0, 2, -2]})
    )
    assert ratios.outputs == {"ratio": ["NaN", "Infinity", "-Infinity"]}


async def test_lru_bound_and_order(
    pool: SessionPool, regressor: BuiltModel, int_model: BuiltModel, string_model: BuiltModel
) -> None:
    await pool.load("m1", regressor.sha256, regressor.path)
    await pool.load("m2", int_model.sha256, int_model.path)
    await pool.load("m1", regressor.sha256, regressor.path)  # m1 now most recently used
    await pool.load("m3", string_model.sha256, string_model.path)
    assert pool.loaded_keys() == [("m1", regressor.sha256), ("m3", string_model.sha256)]
    assert pool.loads == 3


async def test_evict_drops_every_session_of_a_model(
    pool: SessionPool, regressor: BuiltModel
) -> None:
    await pool.load("m1", regressor.sha256, regressor.path)
    assert pool.is_loaded("m1")
    assert pool.evict("m1") == 1
    assert not pool.is_loaded("m1")
    assert pool.evict("m1") == 0
    await pool.load("m1", regressor.sha256, regressor.path)
    assert pool.loads == 2


async def test_new_file_hash_loads_new_session_and_drops_old(
    pool: SessionPool, tmp_path: Path, int_scaler: Callable[[int, Path], BuiltModel]
) -> None:
    """A re-uploaded file (new sha256) never runs on the session of the previous file."""
    path = tmp_path / "model.onnx"
    original = int_scaler(2, path)
    payload = inputs_for(original, {"ids": [5]})
    first = await pool.predict("m", original.sha256, path, payload)
    assert first.outputs == {"doubled": [10]}

    replaced = int_scaler(3, path)  # same path, new content
    second = await pool.predict("m", replaced.sha256, path, payload)
    assert second.outputs == {"doubled": [15]}
    assert pool.loaded_keys() == [("m", replaced.sha256)]


async def test_single_load_under_concurrency(regressor: BuiltModel) -> None:
    pool = SessionPool(max_sessions=4, workers=8)
    loads_seen: list[str] = []
    original = pool._load

    def counting_load(path: Path):  # type: ignore[no-untyped-def]
        loads_seen.append(threading.current_thread().name)
        return original(path)

    pool._load = counting_load  # type: ignore[method-assign]
    try:
        payload = inputs_for(regressor, {"x": [[1, 1, 1]]})
        results = await asyncio.gather(
            *(pool.predict("hot", regressor.sha256, regressor.path, payload) for _ in range(20))
        )
    finally:
        pool.close()
    assert len(loads_seen) == 1
    assert pool.loads == 1
    assert {round(r.outputs["variable"][0][0], 3) for r in results} == {6.5}


async def test_predict_runs_off_the_event_loop(pool: SessionPool, regressor: BuiltModel) -> None:
    loop_thread = threading.current_thread().name
    seen: list[str] = []
    original = pool.session

    def recording(*args):  # type: ignore[no-untyped-def]
        seen.append(threading.current_thread().name)
        return original(*args)

    pool.session = recording  # type: ignore[method-assign]
    await pool.predict(
        "m", regressor.sha256, regressor.path, inputs_for(regressor, {"x": [[0, 0, 0]]})
    )
    assert seen and seen[0] != loop_thread and seen[0].startswith("onnx")


async def test_missing_file_and_garbage_file(pool: SessionPool, tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="missing"):
        await pool.load("gone", "0" * 64, tmp_path / "gone.onnx")
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(b"not a protobuf at all")
    with pytest.raises(ModelLoadError) as caught:
        await pool.load("bad", "1" * 64, garbage)
    assert str(tmp_path) not in str(caught.value)  # no server paths in client-facing errors


async def test_inference_error_for_inputs_the_graph_rejects(
    pool: SessionPool, multi_input: BuiltModel
) -> None:
    # Batch sizes 1 and 2 pass the schema (dynamic axis) but Add cannot broadcast 2 vs 3 rows.
    payload = {"a": np.zeros((2, 3), np.float32), "b": np.zeros((3, 3), np.float32)}
    with pytest.raises(InferenceError):
        await pool.predict("multi", multi_input.sha256, multi_input.path, payload)
