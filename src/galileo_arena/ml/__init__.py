"""Optional ML scoring: an NLI cross-encoder and a sentence embedder run by onnxruntime on the CPU.

``MLScorer.load(models_dir, ...)`` reads the models directory (see ``model_dir``), and
``await scorer.score(reasoning, cited_summaries)`` returns the raw ``MLScores`` that the scoring
core turns into rubric points. ``prepare_local_models`` writes the embedding half offline.
"""

from galileo_arena.ml.errors import MLModelsInvalid, MLModelsMissing
from galileo_arena.ml.local_models import prepare_local_models
from galileo_arena.ml.registry import Availability, ModelRegistry
from galileo_arena.ml.scorer import MLScorer

__all__ = [
    "Availability",
    "MLModelsInvalid",
    "MLModelsMissing",
    "MLScorer",
    "ModelRegistry",
    "prepare_local_models",
]
