"""The one interface every embedding provider implements, and the error they all raise."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

Vectors = NDArray[np.float32]


class EmbeddingError(RuntimeError):
    """An embedding could not be produced: provider unreachable, refused, or malformed answer.

    Providers wrap their own exceptions in this one so that a service catches a single type
    whichever provider its settings chose.
    """


class Embedder(ABC):
    """Turns texts into unit-length float32 vectors of a fixed width.

    Every implementation returns an array of shape ``(len(texts), dimension)`` whose rows have L2
    norm 1, so a dot product is the cosine similarity whatever the provider (pgvector's
    ``<#>``/``<=>`` and Chroma's cosine space then agree). An empty list gives a ``(0, dimension)``
    array without contacting anything.
    """

    #: The provider's name for the model, as stored next to vectors to detect a model change.
    model_name: str
    #: The width of every vector this embedder returns.
    dimension: int

    @abstractmethod
    async def embed(self, texts: Sequence[str]) -> Vectors:
        """Embed ``texts`` without blocking the event loop."""

    @abstractmethod
    def embed_sync(self, texts: Sequence[str]) -> Vectors:
        """Embed ``texts`` from synchronous code (Celery tasks, CLIs), not inside an event loop."""

    async def aclose(self) -> None:  # noqa: B027 - deliberately a no-op for providers holding nothing
        """Release network connections; the embedder must not be used afterwards."""

    def empty(self) -> Vectors:
        """The result for no texts: ``(0, dimension)``."""
        return np.zeros((0, self.dimension), dtype=np.float32)


class BatchedRemoteEmbedder(Embedder):
    """A provider behind a network API: texts are sent in batches of ``batch_size``.

    Subclasses implement one request for one batch, in async and sync form; the batching, the
    empty-input shortcut and the concatenation live here once.
    """

    batch_size: int

    @abstractmethod
    async def _embed_batch(self, chunk: list[str]) -> Vectors: ...

    @abstractmethod
    def _embed_batch_sync(self, chunk: list[str]) -> Vectors: ...

    async def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return self.empty()
        return np.concatenate(
            [await self._embed_batch(chunk) for chunk in batches(texts, self.batch_size)]
        )

    def embed_sync(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return self.empty()
        return np.concatenate(
            [self._embed_batch_sync(chunk) for chunk in batches(texts, self.batch_size)]
        )


def normalised(vectors: object, expected_width: int, count: int) -> Vectors:
    """Check a provider's answer is one vector per input, of the promised width; unit rows out.

    Remote providers usually normalise already; doing it here makes that a guarantee of the kit
    rather than an assumption about each server.
    """
    try:
        array = np.asarray(vectors, dtype=np.float32)
    except (ValueError, TypeError) as exc:
        raise _not_one_per_input(count, "nested lists of uneven lengths") from exc
    if array.ndim != 2 or array.shape[0] != count:
        raise _not_one_per_input(count, f"an array of shape {array.shape}")
    if array.shape[1] != expected_width:
        raise EmbeddingError(
            f"expected vectors of width {expected_width}, the provider returned "
            f"{array.shape[1]}; set EMBEDDING_DIMENSIONS to the model's real width"
        )
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    return array / np.maximum(norms, np.float32(1e-12))


def _not_one_per_input(count: int, answer: str) -> EmbeddingError:
    # A generative model served without pooling (llama.cpp with a chat GGUF) answers one vector
    # per token: say so rather than hand back something that is not a sentence embedding.
    return EmbeddingError(
        f"expected {count} vectors, one per input; the provider returned {answer}. "
        "Is the model an embedding model with pooling (not one vector per token)?"
    )


def batches(texts: Sequence[str], size: int) -> list[list[str]]:
    """``texts`` cut into consecutive lists of at most ``size``, for providers' request limits."""
    return [list(texts[i : i + size]) for i in range(0, len(texts), size)]
