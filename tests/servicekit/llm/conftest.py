"""Fixtures of the LLM tests: the kit's shared ones, a clean environment, a faulty endpoint."""
# The faulty endpoint speaks both forms of the chat API: a JSON reply, and with ``"stream": true``
# OpenAI's SSE chunks (role, one chunk per word, finish reason, a usage chunk, ``[DONE]``).

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from servicekit.llm import LLMClient, LLMSettings
from servicekit.llm.providers import scripted
from servicekit.llm.providers.scripted import word_pieces
from servicekit.testing.llm import AnthropicDouble
from servicekit.testing.server import serve_in_thread

LLM_ENV_VARS = [
    name.upper() for name in LLMSettings.model_fields if name not in {"environment", "log_level"}
]


@pytest.fixture
def make_settings(monkeypatch: pytest.MonkeyPatch) -> Callable[..., LLMSettings]:
    """Settings from the given values only: no key or URL of the machine running the tests
    (environment or .env file) may leak into a test, nor a script that another package's
    session-long fixture installed (the scripted provider counts as configured while one is)."""
    for name in LLM_ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(scripted, "_scripts", {})
    return lambda **values: LLMSettings(_env_file=None, **values)


@dataclass
class _Step:
    kind: str  # "fail", "stall"; for streams also "break" and "hang" after the first word
    status: int = 500
    code: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


class FaultyOpenAIServer:
    """An OpenAI-compatible chat endpoint that fails or stalls as planned, then answers."""

    REPLY = "recovered after all"

    def __init__(self) -> None:
        self.base_url = ""
        self.calls = 0
        self.bodies: list[dict[str, Any]] = []
        self.received = threading.Event()
        self.stream_closed = threading.Event()
        self._plan: list[_Step] = []
        self.app = Starlette(routes=[Route("/v1/chat/completions", self._chat, methods=["POST"])])

    def fail(
        self,
        status: int,
        *,
        times: int = 1,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self._plan += [_Step("fail", status, code, headers or {}) for _ in range(times)]

    def stall(self, *, times: int = 1) -> None:
        self._plan += [_Step("stall") for _ in range(times)]

    def break_stream(self) -> None:
        """The next stream sends its first word, then the connection drops."""
        self._plan.append(_Step("break"))

    def hang_stream(self) -> None:
        """The next stream sends its first word, then nothing until the client goes away."""
        self._plan.append(_Step("hang"))

    async def _chat(self, request: Request) -> Response:
        self.calls += 1
        self.received.set()
        body = await request.json()
        self.bodies.append(body)
        step = self._plan.pop(0) if self._plan else None
        if step is not None and step.kind == "stall":
            # The body is read, so the next ASGI message is the client's disconnect: hold the
            # request until the client gives up (or 30 s pass).
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(30):
                    await request.receive()
            return JSONResponse({}, status_code=504)
        if body.get("stream") and (step is None or step.kind in ("break", "hang")):
            return StreamingResponse(self._chunks(body, step), media_type="text/event-stream")
        if step is not None:
            return JSONResponse(
                {"error": {"message": f"planned {step.status}", "type": "test", "code": step.code}},
                status_code=step.status,
                headers=step.headers,
            )
        return JSONResponse(
            {
                "id": "chatcmpl-test",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": self.REPLY},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8},
            }
        )

    async def _chunks(self, body: dict[str, Any], step: _Step | None) -> AsyncIterator[str]:
        def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
            choice = {"index": 0, "delta": delta, "finish_reason": finish}
            return _data({**head, "choices": [choice]})

        head = {
            "id": "chatcmpl-test",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": body["model"],
        }
        try:
            yield chunk({"role": "assistant", "content": ""})
            for index, word in enumerate(word_pieces(self.REPLY)):
                await asyncio.sleep(0)
                yield chunk({"content": word})
                if index == 0 and step is not None and step.kind == "break":
                    raise ConnectionError("planned break")  # uvicorn drops the connection
                if index == 0 and step is not None and step.kind == "hang":
                    await asyncio.Event().wait()  # until the client disconnects
            yield chunk({}, finish="stop")
            if (body.get("stream_options") or {}).get("include_usage"):
                usage = {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}
                yield _data({**head, "choices": [], "usage": usage})
            yield "data: [DONE]\n\n"
        finally:
            self.stream_closed.set()


def _data(payload: dict[str, Any]) -> str:
    return f"data: {json.dumps(payload)}\n\n"


@pytest.fixture
def faulty_server() -> Iterator[FaultyOpenAIServer]:
    server = FaultyOpenAIServer()
    with serve_in_thread(server.app) as base_url:
        server.base_url = f"{base_url}/v1"
        yield server


@pytest.fixture
async def client_for(make_settings):
    """A client of the faulty server, with short backoff delays so that retries are quick."""
    clients: list[LLMClient] = []

    def build(server, **options) -> LLMClient:
        settings = make_settings(llamacpp_base_url=server.base_url)
        client = LLMClient(settings, retry_initial_delay=0.01, **options)
        clients.append(client)
        return client

    yield build
    for client in clients:
        await client.aclose()


@pytest.fixture
async def anthropic_client(make_settings, anthropic_double):
    """A client of the Anthropic double, with short backoff delays."""
    settings = make_settings(
        anthropic_api_key=AnthropicDouble.API_KEY, anthropic_base_url=anthropic_double.base_url
    )
    client = LLMClient(settings, retry_initial_delay=0.01)
    yield client
    await client.aclose()
