"""onnxruntime sessions: loaded once per model file, kept in a bounded LRU, run off the event loop.

A session is keyed by ``(model_id, file sha256)``: a replaced file has a new hash, so it can never
be served by the session of the old one (and loading the new file drops the old session of that
model). Loading happens at most once per key even when many requests arrive together: the first
takes the key's lock and loads, the others wait on that lock and then reuse its session.

Loading and inference run in a bounded thread pool: onnxruntime releases the GIL while it
computes, so the loop keeps serving other requests. The one exception is a run known to be
tiny: handing work to a thread and back costs ~0.2 ms on a busy machine, far more than a small
model's run (~0.01 ms), so a loaded model whose measured cost per input element predicts a run
under ``inline_below_ms`` is run on the loop itself. Loads never are, and a model's first run,
a large input or a slow model always go to the pool. The same object serves synchronous callers
(a Celery worker) through :meth:`SessionPool.run`.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from modelforge.inference.tensors import encode_value

SessionKey = tuple[str, str]


class ModelLoadError(RuntimeError):
    """The model file could not be loaded (missing, unreadable or not a valid ONNX model)."""


class InferenceError(RuntimeError):
    """onnxruntime refused to run the model on these inputs; the message is safe to show."""


@dataclass(frozen=True, slots=True)
class Prediction:
    outputs: dict[str, Any]
    """Output name -> JSON-safe value (see :func:`modelforge.inference.tensors.encode_value`)."""
    inference_ms: float
    """Time spent in ``InferenceSession.run`` only (no queueing, no encoding)."""


class SessionPool:
    """A bounded LRU of onnxruntime sessions plus the thread pool that runs them."""

    def __init__(
        self,
        *,
        max_sessions: int = 16,
        workers: int = 4,
        intra_op_threads: int = 1,
        inline_below_ms: float = 0.2,
    ) -> None:
        """``inline_below_ms``: predicted run time under which a run stays on the event loop
        (0 sends every run to the thread pool)."""
        if max_sessions < 1 or workers < 1 or intra_op_threads < 0:
            raise ValueError("max_sessions and workers must be >= 1, intra_op_threads >= 0")
        self._max_sessions = max_sessions
        self._inline_below_ms = inline_below_ms
        # Measured run time per input element, per session (a moving average): what a run
        # of a given size is expected to cost, to decide whether it may block the loop.
        self._ms_per_element: dict[SessionKey, float] = {}
        self._intra_op_threads = intra_op_threads
        self._sessions: OrderedDict[SessionKey, ort.InferenceSession] = OrderedDict()
        self._key_locks: dict[SessionKey, threading.Lock] = {}
        # Bumped by evict(): a load that started before the eviction must not store its session.
        self._generations: dict[str, int] = {}
        # Guards the two dicts above; never held while a model loads or runs.
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="onnx")
        self.loads = 0
        """How many sessions were created (for metrics and tests)."""

    async def predict(
        self, model_id: str, sha256: str, path: Path | str, inputs: Mapping[str, np.ndarray]
    ) -> Prediction:
        if self._runs_inline((model_id, sha256), inputs):
            return self.run(model_id, sha256, Path(path), inputs)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._executor, self.run, model_id, sha256, Path(path), inputs
        )

    def _runs_inline(self, key: SessionKey, inputs: Mapping[str, np.ndarray]) -> bool:
        rate = self._ms_per_element.get(key)
        if rate is None:
            return False
        if rate * _elements(inputs) >= self._inline_below_ms:
            return False
        with self._lock:
            return key in self._sessions  # a run that would load a model must not block

    async def load(self, model_id: str, sha256: str, path: Path | str) -> None:
        """Load a model ahead of its first request (e.g. right after validation)."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self.session, model_id, sha256, Path(path))

    def run(
        self, model_id: str, sha256: str, path: Path, inputs: Mapping[str, np.ndarray]
    ) -> Prediction:
        """Blocking prediction, for worker threads and synchronous callers."""
        session = self.session(model_id, sha256, path)
        names = [output.name for output in session.get_outputs()]
        started = time.perf_counter()
        try:
            values = session.run(names, dict(inputs))
        except Exception as exc:  # onnxruntime raises several unrelated exception types
            raise InferenceError(_public_message(exc, path)) from exc
        elapsed_ms = (time.perf_counter() - started) * 1000.0
        self._measured((model_id, sha256), elapsed_ms, _elements(inputs))
        outputs = {name: encode_value(value) for name, value in zip(names, values, strict=True)}
        return Prediction(outputs=outputs, inference_ms=elapsed_ms)

    def _measured(self, key: SessionKey, elapsed_ms: float, elements: int) -> None:
        rate = elapsed_ms / elements
        previous = self._ms_per_element.get(key)
        # A slow run counts at once (never block the loop twice); a fast one only slowly.
        if previous is None or rate > previous:
            self._ms_per_element[key] = rate
        else:
            self._ms_per_element[key] = 0.8 * previous + 0.2 * rate

    def session(self, model_id: str, sha256: str, path: Path) -> ort.InferenceSession:
        """The session of this model file, loading it if needed (blocking)."""
        key = (model_id, sha256)
        with self._lock:
            found = self._sessions.get(key)
            if found is not None:
                self._sessions.move_to_end(key)
                return found
            key_lock = self._key_locks.setdefault(key, threading.Lock())
            generation = self._generations.get(model_id, 0)
        with key_lock:
            with self._lock:
                found = self._sessions.get(key)
                if found is not None:  # loaded by the caller we waited for
                    self._sessions.move_to_end(key)
                    return found
            loaded = self._load(path)
            with self._lock:
                self.loads += 1
                if self._generations.get(model_id, 0) == generation:
                    self._store(key, loaded)
                self._key_locks.pop(key, None)
            return loaded

    def evict(self, model_id: str) -> int:
        """Drop every session of a model (deleted, or its file replaced); returns how many."""
        with self._lock:
            keys = [key for key in self._sessions if key[0] == model_id]
            for key in keys:
                del self._sessions[key]
                self._ms_per_element.pop(key, None)
            self._generations[model_id] = self._generations.get(model_id, 0) + 1
        return len(keys)

    def is_loaded(self, model_id: str, sha256: str | None = None) -> bool:
        with self._lock:
            return any(
                key[0] == model_id and (sha256 is None or key[1] == sha256)
                for key in self._sessions
            )

    def loaded_keys(self) -> list[SessionKey]:
        """Loaded sessions, least recently used first."""
        with self._lock:
            return list(self._sessions)

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            self._sessions.clear()

    def _store(self, key: SessionKey, session: ort.InferenceSession) -> None:
        # One file per model at a time: a new hash makes the old sessions of that model stale.
        for stale in [old for old in self._sessions if old[0] == key[0] and old != key]:
            del self._sessions[stale]
        self._sessions[key] = session
        while len(self._sessions) > self._max_sessions:
            self._sessions.popitem(last=False)

    def _load(self, path: Path) -> ort.InferenceSession:
        if not path.is_file():
            raise ModelLoadError("the model file is missing from storage")
        options = ort.SessionOptions()
        options.intra_op_num_threads = self._intra_op_threads
        # Parallelism comes from the thread pool; one inter-op thread avoids oversubscription.
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.log_severity_level = 3
        try:
            loaded = ort.InferenceSession(
                str(path), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:
            raise ModelLoadError(_public_message(exc, path)) from exc
        return loaded


def _elements(inputs: Mapping[str, np.ndarray]) -> int:
    return max(1, sum(int(array.size) for array in inputs.values()))


def _public_message(exc: Exception, path: Path) -> str:
    """onnxruntime's message without server paths (they tell a client about our disk layout)."""
    message = str(exc)
    secrets = {str(path), str(path.parent), str(path.resolve()), str(path.resolve().parent)}
    for secret in sorted(secrets, key=len, reverse=True):
        message = message.replace(secret, "<model>")
    return message
