"""The model status state machine (pure logic).

``pending -> uploaded -> validating -> ready | error``; a new file may replace the old one while
the model is not ready (``uploaded`` or ``error``); ``ready`` models are immutable. Archiving is
the only status a client sets itself: from ``uploaded``, ``ready`` or ``error`` to ``archived``,
and back to ``ready`` (only if it was validated) or ``uploaded`` (only if it has a file).
"""

from __future__ import annotations

from modelforge.models import ModelStatus

UPLOADABLE = frozenset({ModelStatus.pending, ModelStatus.uploaded, ModelStatus.error})
VALIDATABLE = frozenset({ModelStatus.uploaded, ModelStatus.error})
ARCHIVABLE = frozenset({ModelStatus.uploaded, ModelStatus.ready, ModelStatus.error})


class TransitionRefused(Exception):
    """The requested status change is not allowed; the message says why."""


def client_transition(
    current: ModelStatus, requested: ModelStatus, *, has_file: bool, validated: bool
) -> ModelStatus:
    """The status after a client asks for ``requested`` (PATCH), or ``TransitionRefused``."""
    if requested == current:
        return current
    if requested == ModelStatus.archived:
        if current not in ARCHIVABLE:
            raise TransitionRefused(f"a {current.value} model cannot be archived")
        return requested
    if current != ModelStatus.archived:
        raise TransitionRefused(
            f"status {requested.value!r} is set by the server (upload, validate); clients may "
            "only archive a model or restore an archived one"
        )
    if requested == ModelStatus.ready and validated:
        return requested
    if requested == ModelStatus.uploaded and has_file:
        return requested
    raise TransitionRefused(
        f"an archived model returns to 'ready' only if it was validated, to 'uploaded' only if "
        f"it has a file; {requested.value!r} is not possible"
    )
