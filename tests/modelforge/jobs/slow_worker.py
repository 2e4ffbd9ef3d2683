"""``slow_worker:app``: ModelForge's worker with every inference made slow on purpose.

Lets a test kill a worker while a job is surely mid-run, or keep a single worker busy while
other jobs queue up behind it. ``MF_TEST_INFERENCE_SECONDS`` is the extra time per inference.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from modelforge import worker
from modelforge.inference.sessions import Prediction, SessionPool

DELAY = float(os.environ["MF_TEST_INFERENCE_SECONDS"])


class SlowSessions(SessionPool):
    def run(
        self, model_id: str, sha256: str, path: Path, inputs: Mapping[str, np.ndarray]
    ) -> Prediction:
        time.sleep(DELAY)
        return super().run(model_id, sha256, path, inputs)


worker.runner = dataclasses.replace(worker.runner, sessions=SlowSessions(workers=1))
app = worker.app
