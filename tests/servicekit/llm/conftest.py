"""Fixtures of the LLM tests: the kit's shared ones, a clean environment, a faulty endpoint."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from servicekit.llm import LLMSettings
from servicekit.llm.providers import scripted
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
    kind: str  # "fail" or "stall"
    status: int = 500
    code: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


class FaultyOpenAIServer:
    """An OpenAI-compatible chat endpoint that fails or stalls as planned, then answers."""

    def __init__(self) -> None:
        self.base_url = ""
        self.calls = 0
        self.received = threading.Event()
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

    async def _chat(self, request: Request) -> JSONResponse:
        self.calls += 1
        self.received.set()
        body = await request.json()
        step = self._plan.pop(0) if self._plan else None
        if step is not None and step.kind == "stall":
            # The body is read, so the next ASGI message is the client's disconnect: hold the
            # request until the client gives up (or 30 s pass).
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(30):
                    await request.receive()
            return JSONResponse({}, status_code=504)
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
                        "message": {"role": "assistant", "content": "recovered"},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6},
            }
        )


@pytest.fixture
def faulty_server() -> Iterator[FaultyOpenAIServer]:
    server = FaultyOpenAIServer()
    with serve_in_thread(server.app) as base_url:
        server.base_url = f"{base_url}/v1"
        yield server
