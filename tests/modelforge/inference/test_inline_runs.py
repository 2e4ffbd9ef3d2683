"""Tiny runs stay on the event loop; first runs, large inputs and loads go to the thread pool."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

from modelforge.inference.sessions import SessionPool
from modelforge.inference.tensors import decode_inputs, parse_schema

if TYPE_CHECKING:
    from onnx_models import BuiltModel


def _traced(pool: SessionPool) -> list[str]:
    """The names of the threads each run happened on."""
    threads: list[str] = []
    run = pool.run

    def traced(*args: Any) -> Any:
        threads.append(threading.current_thread().name)
        return run(*args)

    pool.run = traced  # type: ignore[method-assign]
    return threads


@pytest.fixture
def pool() -> Iterator[SessionPool]:
    sessions = SessionPool(max_sessions=2, workers=2)
    yield sessions
    sessions.close()


def _rows(model: BuiltModel, count: int) -> dict[str, np.ndarray]:
    return decode_inputs(parse_schema(model.inputs), {"x": [[1.0, 2.0, 3.0]] * count})


async def test_a_known_tiny_run_stays_on_the_loop_a_large_one_does_not(
    pool: SessionPool, regressor: BuiltModel
) -> None:
    threads = _traced(pool)
    loop_thread = threading.current_thread().name
    args = ("reg", regressor.sha256, regressor.path)
    first = await pool.predict(*args, _rows(regressor, 1))  # cost unknown yet: the pool
    second = await pool.predict(*args, _rows(regressor, 1))
    await pool.predict(*args, _rows(regressor, 200_000))  # predicted far above the bound
    assert threads[0].startswith("onnx")
    assert threads[1] == loop_thread
    assert threads[2].startswith("onnx")
    assert first.outputs == second.outputs

    pool.evict("reg")  # a run that would load the model again never blocks the loop
    await pool.predict(*args, _rows(regressor, 1))
    assert threads[3].startswith("onnx")


async def test_a_zero_bound_sends_every_run_to_the_pool(regressor: BuiltModel) -> None:
    pool = SessionPool(max_sessions=2, workers=2, inline_below_ms=0)
    try:
        threads = _traced(pool)
        for _ in range(3):
            await pool.predict("reg", regressor.sha256, regressor.path, _rows(regressor, 1))
        assert all(name.startswith("onnx") for name in threads)
    finally:
        pool.close()
