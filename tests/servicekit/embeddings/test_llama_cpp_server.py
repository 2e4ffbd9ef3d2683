"""The OpenAI-compatible client against llama.cpp's real server in embedding mode.

The packaged Gemma 3 270M GGUF is a generative model with no pooling, and llama-cpp-python's
server has no option to add one, so ``/v1/embeddings`` answers one vector per token instead of
one per input. Pointing a service at such a server must fail loudly, not store token vectors.
(The protocol itself is exercised against ``embeddings_server`` in test_openai_compatible.)
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from servicekit.embeddings import EmbeddingError, OpenAICompatibleEmbedder

GEMMA_WIDTH = 640


@pytest.fixture(scope="module")
def llamacpp_embedding_url() -> Iterator[str]:
    from servicekit.llm.local_model import default_model_path

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(default_model_path()), "--model_alias", "gemma3-270m",
        "--embedding", "true", "--n_ctx", "512", "--verbose", "false",
        "--host", "127.0.0.1", "--port", str(port),
    ]  # fmt: skip
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, "llama_cpp.server exited"
            assert time.monotonic() < deadline, "llama_cpp.server did not start"
            try:
                if httpx.get(f"{base_url}/models", timeout=1).is_success:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base_url
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.slow
@pytest.mark.parametrize("texts", [["hello world"], ["hello world", "a much longer sentence here"]])
async def test_token_level_vectors_are_refused(
    llamacpp_embedding_url: str, texts: list[str]
) -> None:
    embedder = OpenAICompatibleEmbedder(
        "gemma3-270m", base_url=llamacpp_embedding_url, dimensions=GEMMA_WIDTH
    )
    with pytest.raises(EmbeddingError, match="one per input"):
        await embedder.embed(texts)
    await embedder.aclose()
