"""Pytest fixtures for LLM code: real model servers, scripted replies, an Anthropic double.

- ``llm_script``: install scripted replies for ``scripted/<name>`` models, removed after the test.
- ``local_model_path``: the packaged Gemma 3 270M GGUF, assembled once under ``suite_home()``.
- ``llamacpp_server``: llama.cpp's own OpenAI-compatible server (``python -m llama_cpp.server``)
  running that model for the whole session, stopped at the end.
- ``anthropic_double``: a local HTTP server speaking Anthropic's Messages API, the one stand-in
  for a paid API that cannot run here; it checks the requests the real SDK sends, and answers
  ``"stream": true`` requests with the API's event stream (which can break off or hang midway).

Use them from a conftest with ``from servicekit.testing.llm import *  # noqa``.
"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from servicekit.llm.local_model import default_model_path
from servicekit.llm.providers.scripted import (
    Script,
    ScriptedModel,
    install_script,
    remove_script,
    word_pieces,
)
from servicekit.testing.server import serve_in_thread

__all__ = [
    "AnthropicDouble",
    "LlamaCppServer",
    "anthropic_double",
    "llamacpp_server",
    "llm_script",
    "local_model_path",
    "start_llamacpp_server",
]

LLAMACPP_MODEL_ALIAS = "gemma3-270m"
_STARTUP_TIMEOUT_S = 60.0


@pytest.fixture
def llm_script() -> Iterator[Callable[[str, Script], ScriptedModel]]:
    """``llm_script("judge", ["reply", {"score": 3}])`` scripts ``scripted/judge`` for one test."""
    installed: list[str] = []

    def install(model: str, script: Script) -> ScriptedModel:
        installed.append(model)
        return install_script(model, script)

    yield install
    for model in installed:
        remove_script(model)


@pytest.fixture(scope="session")
def local_model_path() -> Path:
    return default_model_path()


# ---------------------------------------------------------------------------------------------
# A free port for a server run as a child process (in-process servers: servicekit.testing.server)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------------------------------------
# llama.cpp's OpenAI-compatible server


@dataclass(frozen=True, slots=True)
class LlamaCppServer:
    """A running ``llama_cpp.server``: set ``LLAMACPP_BASE_URL`` to ``base_url``."""

    base_url: str
    model: str


@contextmanager
def start_llamacpp_server(model_path: Path, *, n_ctx: int = 2048) -> Iterator[LlamaCppServer]:
    """Run ``python -m llama_cpp.server`` on a free port until the block ends.

    The default GGUF is a base model without a chat template; the server's ``alpaca`` chat format
    is the one under which it answers questions sensibly, so the chat endpoint is usable.
    """
    port = _free_port()
    with tempfile.TemporaryFile(mode="w+") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "llama_cpp.server",
                "--model",
                str(model_path),
                "--model_alias",
                LLAMACPP_MODEL_ALIAS,
                "--chat_format",
                "alpaca",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--n_ctx",
                str(n_ctx),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base_url = f"http://127.0.0.1:{port}/v1"
        try:
            _wait_until_serving(process, f"{base_url}/models", log)
            yield LlamaCppServer(base_url=base_url, model=LLAMACPP_MODEL_ALIAS)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_serving(process: subprocess.Popen[bytes], url: str, log: Any) -> None:
    deadline = time.monotonic() + _STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"llama_cpp.server exited with {process.returncode}:\n{log.read()}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"llama_cpp.server did not answer {url} within {_STARTUP_TIMEOUT_S:g} s")


@pytest.fixture(scope="session")
def llamacpp_server(local_model_path: Path) -> Iterator[LlamaCppServer]:
    with start_llamacpp_server(local_model_path) as server:
        yield server


# ---------------------------------------------------------------------------------------------
# Anthropic Messages API double


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass(frozen=True, slots=True)
class _Reply:
    text: str | None = None
    tool_input: dict[str, Any] | None = None
    status: int = 200
    error_type: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    # Streams only: after the text, an ``error`` event of this type, or hold the connection open.
    breaks_with: str | None = None
    hangs: bool = False


class AnthropicDouble:
    """A Messages API endpoint that answers queued replies and validates what it receives.

    Requests that the real API would reject (wrong key, no ``anthropic-version``, a ``system`` role
    inside ``messages``, no ``max_tokens``...) get the real API's error shape, so a client bug
    shows up as the error it would cause in production. Models named in ``rejects_temperature``
    answer a ``temperature`` field with a 400, as Anthropic's newer models do. Token usage is
    counted in words. A streamed reply sends its text word by word; ``stream_closed`` is set when
    a streamed response ends, the client's disconnect included.
    """

    API_KEY = "sk-ant-test-key"

    def __init__(self) -> None:
        self.base_url = ""
        self.rejects_temperature: set[str] = set()
        self.requests: list[RecordedRequest] = []
        self._replies: list[_Reply] = []
        self.stream_closed = threading.Event()
        self.app = Starlette(routes=[Route("/v1/messages", self._messages, methods=["POST"])])

    def reply_text(self, text: str) -> None:
        self._replies.append(_Reply(text=text))

    def reply_stream_break(self, text: str, error_type: str = "overloaded_error") -> None:
        """A streamed reply that sends ``text``, then an ``error`` event instead of its end."""
        self._replies.append(_Reply(text=text, breaks_with=error_type))

    def reply_stream_hang(self, text: str) -> None:
        """A streamed reply that sends ``text``, then nothing until the client goes away."""
        self._replies.append(_Reply(text=text, hangs=True))

    def reply_tool_input(self, tool_input: dict[str, Any]) -> None:
        """Answer the forced tool call (how JSON output is requested) with ``tool_input``."""
        self._replies.append(_Reply(tool_input=tool_input))

    def reply_error(
        self, status: int, error_type: str, *, headers: dict[str, str] | None = None
    ) -> None:
        self._replies.append(_Reply(status=status, error_type=error_type, headers=headers or {}))

    async def _messages(self, request: Request) -> Response:
        headers = {name.lower(): value for name, value in request.headers.items()}
        try:
            body = await request.json()
        except json.JSONDecodeError:
            return _anthropic_error(400, "invalid_request_error", "body is not JSON")
        self.requests.append(RecordedRequest(headers=headers, body=body))

        # SDKs before 1.0 send the key as x-api-key, later ones as a bearer token: accept both.
        if self.API_KEY not in (headers.get("x-api-key"), _bearer_token(headers)):
            return _anthropic_error(401, "authentication_error", "invalid x-api-key")
        problem = _request_problem(headers, body)
        if "temperature" in body and body["model"] in self.rejects_temperature:
            problem = "temperature is deprecated for this model"
        if problem:
            return _anthropic_error(400, "invalid_request_error", problem)
        if not self._replies:
            return _anthropic_error(400, "invalid_request_error", "the test queued no reply")
        reply = self._replies.pop(0)
        if reply.status != 200:
            return _anthropic_error(reply.status, reply.error_type, "queued error", reply.headers)
        message = _message_response(body, reply)
        if body.get("stream"):
            return StreamingResponse(self._events(message, reply), media_type="text/event-stream")
        return JSONResponse(message)

    async def _events(self, message: dict[str, Any], reply: _Reply) -> AsyncIterator[str]:
        """The Messages API's event stream for ``message``: start, text deltas, stop."""
        try:
            usage = message["usage"]
            start = {**message, "content": [], "stop_reason": None}
            start["usage"] = {**usage, "output_tokens": 1}
            yield _sse("message_start", {"type": "message_start", "message": start})
            for index, block in enumerate(message["content"]):
                if block["type"] != "text":
                    raise NotImplementedError("the double streams text replies only")
                yield _sse(
                    "content_block_start",
                    {
                        "type": "content_block_start",
                        "index": index,
                        "content_block": {"type": "text", "text": ""},
                    },
                )
                yield _sse("ping", {"type": "ping"})
                for piece in word_pieces(block["text"]):
                    await asyncio.sleep(0)
                    yield _sse(
                        "content_block_delta",
                        {
                            "type": "content_block_delta",
                            "index": index,
                            "delta": {"type": "text_delta", "text": piece},
                        },
                    )
                if reply.hangs:
                    await asyncio.Event().wait()  # until the client disconnects
                if reply.breaks_with is not None:
                    error = {"type": reply.breaks_with, "message": "queued mid-stream error"}
                    yield _sse("error", {"type": "error", "error": error})
                    return
                yield _sse("content_block_stop", {"type": "content_block_stop", "index": index})
            yield _sse(
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
                    "usage": {"output_tokens": usage["output_tokens"]},
                },
            )
            yield _sse("message_stop", {"type": "message_stop"})
        finally:
            self.stream_closed.set()


def _sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n"


def _bearer_token(headers: dict[str, str]) -> str | None:
    scheme, _, token = headers.get("authorization", "").partition(" ")
    return token if scheme.lower() == "bearer" else None


def _request_problem(headers: dict[str, str], body: dict[str, Any]) -> str | None:
    """What the real Messages API would reject in this request, if anything."""
    if not headers.get("anthropic-version"):
        return "anthropic-version header is required"
    if not isinstance(body.get("model"), str):
        return "model: field required"
    if not isinstance(body.get("max_tokens"), int) or body["max_tokens"] < 1:
        return "max_tokens: a positive integer is required"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "messages: at least one message is required"
    for index, message in enumerate(messages):
        if message.get("role") not in ("user", "assistant"):
            return f"messages.{index}.role: Input should be 'user' or 'assistant'"
        if not isinstance(message.get("content"), str | list):
            return f"messages.{index}.content: Input should be a string or a list of blocks"
    if "system" in body and not isinstance(body["system"], str | list):
        return "system: Input should be a string or a list of text blocks"
    temperature = body.get("temperature", 1.0)
    if not isinstance(temperature, int | float) or not 0 <= temperature <= 1:
        return "temperature: must be between 0 and 1"
    if "tool_choice" in body:
        names = {tool.get("name") for tool in body.get("tools", [])}
        if body["tool_choice"].get("name") not in names:
            return "tool_choice names a tool that is not in tools"
    return None


def _message_response(body: dict[str, Any], reply: _Reply) -> dict[str, Any]:
    prompt_text = " ".join(
        [_text_of(body.get("system", ""))] + [_text_of(m["content"]) for m in body["messages"]]
    )
    if reply.tool_input is not None:
        content: list[dict[str, Any]] = [
            {
                "type": "tool_use",
                "id": f"toolu_{uuid.uuid4().hex[:24]}",
                "name": body.get("tool_choice", {}).get("name", "tool"),
                "input": reply.tool_input,
            }
        ]
        output_text, stop_reason = json.dumps(reply.tool_input), "tool_use"
    else:
        output_text, stop_reason = reply.text or "", "end_turn"
        content = [{"type": "text", "text": output_text}]
    return {
        "id": f"msg_{uuid.uuid4().hex[:24]}",
        "type": "message",
        "role": "assistant",
        "model": body["model"],
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {
            "input_tokens": len(prompt_text.split()),
            "output_tokens": len(output_text.split()),
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
        },
    }


def _text_of(content: str | list[dict[str, Any]]) -> str:
    if isinstance(content, str):
        return content
    return " ".join(block.get("text", "") for block in content)


def _anthropic_error(
    status: int, error_type: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"type": "error", "error": {"type": error_type, "message": message}},
        status_code=status,
        headers=headers,
    )


@pytest.fixture
def anthropic_double() -> Iterator[AnthropicDouble]:
    """A fresh Messages API double; point ``ANTHROPIC_BASE_URL`` at ``.base_url``."""
    double = AnthropicDouble()
    with serve_in_thread(double.app) as base_url:
        double.base_url = base_url
        yield double
