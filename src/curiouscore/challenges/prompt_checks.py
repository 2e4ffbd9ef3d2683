"""Tier-1 checks of a simple challenge's system prompt: fast heuristics, no LLM (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_WORDS = {
    "assessment": (
        [
            "question",
            "quiz",
            "test",
            "assess",
            "evaluate",
            "check",
            "answer",
            "explain",
            "describe",
            "solve",
        ],
        20,
        "No assessment wording (question, quiz, check, explain...): how is learning verified?",
    ),
    "learning": (
        [
            "learn",
            "understand",
            "teach",
            "instruct",
            "guide",
            "practice",
            "master",
            "explore",
            "discover",
        ],
        10,
        "No learning wording (teach, guide, practice...).",
    ),
    "progression": (
        ["phase", "step", "part", "section", "progress"],
        10,
        "No progression wording (phase, step, section...): learners cannot see where they are.",
    ),
    "audience": (
        ["beginner", "intermediate", "advanced", "learner", "student"],
        5,
        "No audience wording (beginner, learner, student...).",
    ),
}


@dataclass(frozen=True)
class HeuristicReport:
    score: int
    passed: bool
    issues: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def check_prompt(prompt: str) -> HeuristicReport:
    score = 100
    issues: list[str] = []
    warnings: list[str] = []
    text = prompt.lower()
    if len(prompt.strip()) < 100:
        score -= 30
        issues.append("The prompt is shorter than 100 characters.")
    for words, penalty, message in _WORDS.values():
        if not any(re.search(rf"\b{word}", text) for word in words):
            score -= penalty
            warnings.append(message)
    if len(prompt) > 5000:
        score -= 10
        warnings.append("The prompt is longer than 5000 characters.")
    paragraphs = [p for p in re.split(r"\n\s*\n", prompt) if p.strip()]
    if len(paragraphs) < 2:
        score -= 5
        warnings.append("Fewer than two paragraphs: structure the prompt into sections.")
    score = max(0, score)
    return HeuristicReport(score, score >= 60 and not issues, issues, warnings)


def recommendation(report: HeuristicReport, llm_confidence: int | None) -> str:
    if report.score < 40 or len(report.issues) > 2:
        return "reject"
    if report.score < 70 or report.issues or (llm_confidence is not None and llm_confidence < 50):
        return "review"
    return "approve"
