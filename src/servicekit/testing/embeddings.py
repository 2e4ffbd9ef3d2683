"""Fixtures for embeddings: the real local encoder, and a server speaking the providers' protocols.

OpenAI's API is a paid cloud service and Ollama cannot be installed here, so their clients are
tested against :func:`embeddings_protocol_app`: a real HTTP server (uvicorn on 127.0.0.1) that
answers OpenAI's ``POST /v1/embeddings`` and Ollama's ``POST /api/embed`` like those services do
(authentication, model look-up, errors, base64 encoding, shortened dimensions), with vectors
from the real local encoder. The client code under test runs unchanged.

Use in a conftest: ``from servicekit.testing.embeddings import *  # noqa``.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from servicekit.embeddings import Embedder, LocalOnnxEmbedder, local_embedder
from servicekit.testing.server import serve_in_thread

__all__ = [
    "EmbeddingsServer",
    "embeddings_protocol_app",
    "embeddings_server",
    "local_text_embedder",
]

#: The model names the test server answers to: the local model's own, an OpenAI model (so clients
#: exercise `dimensions`) and an Ollama one.
SERVED_MODELS = ("all-MiniLM-L6-v2", "text-embedding-3-small", "all-minilm")
TEST_API_KEY = "sk-test-embeddings"


def _openai_error(status: int, message: str, code: str) -> JSONResponse:
    body = {
        "error": {"message": message, "type": "invalid_request_error", "param": None, "code": code}
    }
    return JSONResponse(body, status_code=status)


def _texts(value: object) -> list[str] | None:
    """Both protocols accept one string or a non-empty list of strings."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return value
    return None


def _shorten(vectors: np.ndarray, dimensions: int | None) -> np.ndarray:
    """Matryoshka shortening as OpenAI and Ollama do it: keep the first N values, re-normalise."""
    if dimensions is None:
        return vectors
    cut = vectors[:, :dimensions]
    return cut / np.linalg.norm(cut, axis=1, keepdims=True)


def embeddings_protocol_app(
    embedder: Embedder,
    *,
    models: Collection[str] = SERVED_MODELS,
    api_key: str | None = TEST_API_KEY,
    requests: list[dict[str, Any]] | None = None,
) -> Starlette:
    """An ASGI app answering OpenAI's and Ollama's embedding endpoints with ``embedder``'s vectors.

    Every JSON request body is appended to ``requests``, so a test can check what a client sent.
    ``api_key`` guards the OpenAI routes (Ollama has no authentication).
    """
    log = requests if requests is not None else []

    async def openai_embeddings(request: Request) -> JSONResponse:
        if api_key is not None and request.headers.get("authorization") != f"Bearer {api_key}":
            return _openai_error(401, "Incorrect API key provided.", "invalid_api_key")
        body = await request.json()
        log.append(body)
        model = body.get("model")
        if model not in models:
            return _openai_error(404, f"The model `{model}` does not exist.", "model_not_found")
        texts = _texts(body.get("input"))
        if texts is None:
            return _openai_error(400, "'$.input' is invalid.", "invalid_value")
        dimensions = body.get("dimensions")
        if dimensions is not None and not 1 <= dimensions <= embedder.dimension:
            return _openai_error(400, f"Invalid 'dimensions': {dimensions}.", "invalid_value")
        vectors = _shorten(await embedder.embed(texts), dimensions).astype(np.float32)
        encoding = body.get("encoding_format", "float")
        data = [
            {
                "object": "embedding",
                "index": i,
                "embedding": (
                    base64.b64encode(v.astype("<f4").tobytes()).decode()
                    if encoding == "base64"
                    else v.tolist()
                ),
            }
            for i, v in enumerate(vectors)
        ]
        tokens = sum(len(t.split()) for t in texts)
        usage = {"prompt_tokens": tokens, "total_tokens": tokens}
        return JSONResponse({"object": "list", "data": data, "model": model, "usage": usage})

    async def ollama_embed(request: Request) -> JSONResponse:
        body = await request.json()
        log.append(body)
        model = body.get("model")
        if model not in models:
            error = f'model "{model}" not found, try pulling it first'
            return JSONResponse({"error": error}, status_code=404)
        texts = _texts(body.get("input"))
        if texts is None:
            return JSONResponse({"error": "invalid input type"}, status_code=400)
        started = time.perf_counter_ns()
        vectors = _shorten(await embedder.embed(texts), body.get("dimensions"))
        return JSONResponse(
            {
                "model": model,
                "embeddings": vectors.tolist(),
                "total_duration": time.perf_counter_ns() - started,
                "load_duration": 0,
                "prompt_eval_count": sum(len(t.split()) for t in texts),
            }
        )

    return Starlette(
        routes=[
            Route("/v1/embeddings", openai_embeddings, methods=["POST"]),
            Route("/api/embed", ollama_embed, methods=["POST"]),
        ]
    )


@dataclass
class EmbeddingsServer:
    """A running :func:`embeddings_protocol_app`."""

    url: str
    api_key: str
    #: JSON bodies received, oldest first; tests clear it before asserting on it.
    requests: list[dict[str, Any]] = field(default_factory=list)

    @property
    def openai_base_url(self) -> str:
        return f"{self.url}/v1"


@pytest.fixture(scope="session")
def local_text_embedder() -> LocalOnnxEmbedder:
    """The process-wide local encoder (built once per ``SUITE_HOME``)."""
    return local_embedder()


@pytest.fixture(scope="session")
def embeddings_server(local_text_embedder: LocalOnnxEmbedder) -> Iterator[EmbeddingsServer]:
    """An OpenAI- and Ollama-compatible embeddings server on 127.0.0.1, backed by the local encoder.

    It serves the models in ``SERVED_MODELS`` and wants ``api_key`` on the OpenAI routes.
    """
    received: list[dict[str, Any]] = []
    app = embeddings_protocol_app(local_text_embedder, requests=received)
    with serve_in_thread(app) as url:
        yield EmbeddingsServer(url=url, api_key=TEST_API_KEY, requests=received)
