"""Scripted replies, for tests and demos: deterministic answers with no model at all.

A test installs a script under a model name, and every ``scripted/<name>`` call anywhere in the
process (in the app under test too) takes its next reply from it. The registry is process-wide on
purpose: the app may run in another task or thread than the test that set it up.

A reply is a string (the model's text), any other JSON value (sent as its JSON text), an
``LLMError`` instance, raised instead of answering so that a service's error paths can be tested,
or a ``BreaksOff``: streamed, its text arrives and then its error is raised (or, without an
error, nothing more comes until the caller gives up; ``ScriptedModel.abandoned`` counts streams
closed before their end, so tests can check that a caller's disconnect stopped the generation).

Streamed replies arrive word by word (each piece keeps the whitespace before its word), with a
turn of the event loop between pieces, as a real stream's would.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import re
import threading
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from servicekit.llm.errors import LLMError, ProviderNotConfigured
from servicekit.llm.types import Message, ProviderChunk, ProviderReply, Usage


@dataclass(frozen=True)
class BreaksOff:
    """A reply that breaks off: a stream yields ``text`` then raises ``error``, or hangs when
    there is none; ``complete`` raises ``error`` at once, or hangs (a whole reply never comes)."""

    text: str
    error: LLMError | None = None


Reply = str | int | float | bool | dict[str, Any] | list[Any] | None | LLMError | BreaksOff
ScriptFunction = Callable[[list[Message]], Reply | Awaitable[Reply]]
Script = Sequence[Reply] | ScriptFunction


@dataclass
class ScriptedModel:
    """An installed script, and the conversations it was asked to answer (for assertions)."""

    name: str
    script: Script
    calls: list[list[Message]] = field(default_factory=list)
    abandoned: int = 0
    _position: int = 0

    async def reply(self, messages: list[Message]) -> Reply:
        self.calls.append([Message(role=m["role"], content=m["content"]) for m in messages])
        if callable(self.script):
            reply = self.script(messages)
            return await reply if inspect.isawaitable(reply) else reply
        if self._position >= len(self.script):
            raise LLMError(
                f"scripted model {self.name!r} has no reply left "
                f"(its script has {len(self.script)}; call {self._position + 1} asked for one more)"
            )
        reply = self.script[self._position]
        self._position += 1
        return reply


_scripts: dict[str, ScriptedModel] = {}
_scripts_lock = threading.Lock()


def _bare_name(model: str) -> str:
    return model.removeprefix("scripted/")


def install_script(model: str, script: Script) -> ScriptedModel:
    """Answer ``scripted/<model>`` from ``script`` from now on (replacing any earlier script)."""
    scripted = ScriptedModel(name=_bare_name(model), script=script)
    with _scripts_lock:
        _scripts[scripted.name] = scripted
    return scripted


def remove_script(model: str) -> None:
    with _scripts_lock:
        _scripts.pop(_bare_name(model), None)


@contextmanager
def scripted_model(model: str, script: Script) -> Iterator[ScriptedModel]:
    """``install_script`` for the duration of a ``with`` block."""
    scripted = install_script(model, script)
    try:
        yield scripted
    finally:
        remove_script(model)


def installed_scripts() -> list[str]:
    with _scripts_lock:
        return sorted(_scripts)


class ScriptedProvider:
    """Replies from the installed scripts; usage is counted in words, cost is always zero."""

    async def complete(
        self,
        model_name: str,
        messages: list[Message],
        *,
        temperature: float,
        max_tokens: int,
        json_schema: dict[str, Any] | None,
    ) -> ProviderReply:
        scripted = _script_for(model_name)
        reply = await _reply_of(scripted, messages)
        if isinstance(reply, BreaksOff):
            await _break_off(reply)
        return _provider_reply(reply, messages)

    async def stream(
        self,
        model_name: str,
        messages: list[Message],
        *,
        temperature: float,
        max_tokens: int,
    ) -> AsyncGenerator[ProviderChunk, None]:
        scripted = _script_for(model_name)
        reply = await _reply_of(scripted, messages)
        whole = _provider_reply(reply.text if isinstance(reply, BreaksOff) else reply, messages)
        try:
            for piece in word_pieces(whole.text):
                await asyncio.sleep(0)
                yield piece
            if isinstance(reply, BreaksOff):
                await _break_off(reply)
        except (GeneratorExit, asyncio.CancelledError):  # the caller closed the stream early
            scripted.abandoned += 1
            raise
        yield whole

    async def aclose(self) -> None:
        """Scripts belong to the tests that installed them, not to a client."""


_PIECE = re.compile(r"\s*\S+|\s+")


def word_pieces(text: str) -> list[str]:
    """``text`` as a stream would deliver it: each word with the whitespace before it (and any
    trailing whitespace last), so that the pieces add up to ``text`` exactly."""
    return _PIECE.findall(text)


def _script_for(model_name: str) -> ScriptedModel:
    with _scripts_lock:
        scripted = _scripts.get(model_name)
    if scripted is None:
        raise ProviderNotConfigured(
            f"provider 'scripted' has no script for {model_name!r}; install one with "
            "servicekit.llm.install_script (tests: the llm_script fixture)"
        )
    return scripted


async def _reply_of(scripted: ScriptedModel, messages: list[Message]) -> Reply:
    reply = await scripted.reply(messages)
    if isinstance(reply, LLMError):
        raise reply
    return reply


async def _break_off(reply: BreaksOff) -> None:
    if reply.error is not None:
        raise reply.error
    await asyncio.Event().wait()  # until the caller gives up (cancels or closes the stream)


def _provider_reply(reply: Reply, messages: list[Message]) -> ProviderReply:
    text = reply if isinstance(reply, str) else json.dumps(reply)
    return ProviderReply(
        text=text,
        usage=Usage(
            prompt_tokens=sum(len(m["content"].split()) for m in messages),
            completion_tokens=len(text.split()),
        ),
        finish_reason="stop",
    )
