"""Critical-fail detection: the judge outputs that score 0 whatever else they say.

Upstream turned an unparseable or invalid judge output into a silent INSUFFICIENT/0.0 answer worth
25 to 55 points; here it is a critical fail, as the upstream README promised. Fields are read
defensively because a decision built with ``model_construct`` (or a future loader) can bypass the
pydantic checks of ``JudgeDecision``.
"""

from __future__ import annotations

from collections.abc import Collection

from galileo_arena.core.citations import missing_eids
from galileo_arena.core.schemas import JudgeDecision, Verdict

_VERDICTS = frozenset(verdict.value for verdict in Verdict)
_VERDICT_NAMES = ", ".join(verdict.value for verdict in Verdict)


def critical_fail_reason(
    judge: JudgeDecision | None,
    *,
    valid_eids: Collection[str],
    judge_error: str | None = None,
) -> str | None:
    """Why this decision is a critical fail, or ``None`` when it may be scored.

    Checked in order: the decision exists and its fields have the right types, every cited EID
    belongs to the case, the confidence lies in [0, 1].
    """
    if judge is None:
        return f"judge output invalid: {judge_error or 'no decision was produced'}"
    verdict = getattr(judge, "verdict", None)
    if not isinstance(verdict, str) or verdict not in _VERDICTS:
        return f"judge output invalid: verdict {verdict!r} is not one of {_VERDICT_NAMES}"
    cited = getattr(judge, "evidence_used", None)
    if not isinstance(cited, list | tuple) or not all(isinstance(eid, str) for eid in cited):
        return "judge output invalid: evidence_used is not a list of evidence IDs"
    if not isinstance(getattr(judge, "reasoning", None), str):
        return "judge output invalid: reasoning is not text"
    missing = missing_eids(cited, valid_eids)
    if missing:
        return f"evidence_used references missing EIDs: {list(missing)}"
    confidence = getattr(judge, "confidence", None)
    if isinstance(confidence, bool) or not isinstance(confidence, int | float):
        return f"confidence {confidence!r} is not a number"
    # Written so that NaN, which compares false with everything, fails it too.
    if not 0.0 <= confidence <= 1.0:
        return f"confidence {confidence!r} is outside [0, 1]"
    return None
