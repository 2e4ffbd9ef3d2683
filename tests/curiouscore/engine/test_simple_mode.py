"""Simple challenges: the engine reads the Game Master's metadata as a proposal, not an order."""

from __future__ import annotations

import json

import pytest

from curiouscore.engine.definitions import (
    ChallengeDefinition,
)
from curiouscore.engine.machine import Game, Rules, TaskResult
from curiouscore.engine.simple_mode import (
    ProgressTracking,
    metadata_contract,
    read_reply,
    split_metadata,
)
from curiouscore.engine.view import ui_response


def reply(text: str, **metadata) -> str:
    return f"{text}\n<metadata>{json.dumps(metadata)}</metadata>"


def test_metadata_is_removed_from_the_visible_text() -> None:
    visible, metadata = split_metadata(reply("Question one?", questionType="text"))
    assert visible == "Question one?"
    assert metadata == {"questionType": "text"}


def test_invalid_metadata_is_ignored() -> None:
    directive = read_reply(
        "Hi <metadata>{not json</metadata>", remaining_budget=10, allow_score=True
    )
    assert directive.content == "Hi" and directive.score_change == 0 and directive.ui_mode == "CHAT"


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_metadata_with_non_finite_numbers_is_ignored(number) -> None:
    # Python's json reads these, but no event holding them could be stored.
    text = f'Hi <metadata>{{"questionType": "text", "scoreChange": {number}}}</metadata>'
    assert split_metadata(text) == ("Hi", None)


def test_score_is_clamped_to_the_remaining_budget() -> None:
    text = reply("Great", scoreChange=500)
    assert read_reply(text, remaining_budget=30, allow_score=True).score_change == 30
    assert read_reply(text, remaining_budget=30, allow_score=False).score_change == 0
    assert (
        read_reply(reply("x", scoreChange=-5), remaining_budget=30, allow_score=True).score_change
        == 0
    )


def test_an_mcq_without_options_falls_back_to_text() -> None:
    directive = read_reply(
        reply("Pick", questionType="mcq", options=["only"]), remaining_budget=5, allow_score=True
    )
    assert directive.ui_mode == "CHAT" and directive.options == []


class Driver:
    def __init__(self, challenge: ChallengeDefinition) -> None:
        self.game = Game(challenge, Rules())
        self.tick = 0
        decision = self.game.create(session_id="s", user_id="u", now=self.now())
        self.state = decision.state

    def now(self) -> str:
        self.tick += 1
        return f"2026-01-01T00:00:{self.tick:02d}.000+00:00"

    def run(self, decision, *texts: str):
        state = decision.state
        queue, replies = list(decision.tasks), list(texts)
        while queue:
            task = queue.pop(0)
            result = TaskResult(True, "scripted/gm", self.now(), text=replies.pop(0))
            follow = self.game.resolve(state, task, result, self.now())
            state = follow.state
            queue.extend(follow.tasks)
        self.state = state
        return state


def test_key_stays_server_side_and_the_engine_grades_mcqs(simple) -> None:
    d = Driver(simple)
    question = reply(
        "Which is a list?", questionType="mcq", options=["[1]", "1", "'1'"], correctAnswer=0
    )
    state = d.run(d.game.start(d.state, d.now()), question)
    view = ui_response(state, simple, Rules())
    assert view["ui_mode"] == "MCQ_SINGLE" and view["options"] == ["[1]", "1", "'1'"]
    assert "correctAnswer" not in json.dumps(view) and "correct_answer" not in json.dumps(view)
    # A wrong choice earns nothing whatever the model proposes.
    state = d.run(
        d.game.attempt(state, 1, d.now()), reply("Not quite.", questionType="text", scoreChange=40)
    )
    assert state.total_score == 0
    assert state.messages[-2].content == "1"  # the option text, not its index


def test_completion_is_passed_or_failed_by_the_engine(simple) -> None:
    d = Driver(simple)
    state = d.run(d.game.start(d.state, d.now()), reply("Explain lists.", questionType="text"))
    state = d.run(
        d.game.attempt(state, "They hold items", d.now()),
        reply("Done!", questionType="text", scoreChange=20, isComplete=True),
    )
    assert state.status == "completed"
    assert state.outcome.final_score == 20 and not state.outcome.passed  # 40% < 60%


def test_each_progress_mode_names_its_fields_and_shares() -> None:
    questions = metadata_contract(xp_reward=100, passing_score=70)
    assert '"totalQuestions": 5' in questions and "about 20 points" in questions
    phases = metadata_contract(
        xp_reward=90,
        passing_score=70,
        tracking=ProgressTracking.from_config({"mode": "phases", "items": ["Warm-up", "Core"]}),
    )
    assert '"totalPhases": 2' in phases and "Warm-up, Core" in phases
    milestones = ProgressTracking.from_config({"mode": "milestones", "items": ["a", "b", "c"]})
    text = metadata_contract(xp_reward=90, passing_score=70, tracking=milestones)
    assert '"totalMilestones": 3' in text and "about 30 points each" in text


@pytest.mark.parametrize(
    "config",
    [
        {"mode": "phases", "items": []},  # upstream divided by zero here
        {"mode": "triggers"},
        {"mode": "questions", "total": 0},
        {"mode": "chapters", "items": ["x"]},
        "questions",
    ],
)
def test_unusable_progress_configs_are_refused(config) -> None:
    with pytest.raises(ValueError):
        ProgressTracking.from_config(config)


def test_hints_cost_points_in_simple_challenges_too(simple) -> None:
    d = Driver(simple)
    state = d.run(d.game.start(d.state, d.now()), reply("Explain lists.", questionType="text"))
    state = d.run(d.game.act(state, "hint", d.now()), "Think of a shopping list.")
    assert state.hints_used == 1 and state.steps[0].deducted == 5  # 10% of the 50 budget
    state = d.run(
        d.game.attempt(state, "Ordered, changeable items", d.now()),
        reply("Perfect!", questionType="text", scoreChange=50, isComplete=True),
    )
    assert state.outcome.final_score == 45 and state.outcome.passed


def test_an_mcq_without_a_key_is_graded_by_the_model_within_the_budget(simple) -> None:
    d = Driver(simple)
    question = reply("Which do you prefer?", questionType="mcq", options=["lists", "tuples"])
    state = d.run(d.game.start(d.state, d.now()), question)
    assert state.simple.correct_answer is None
    graded = reply("Fair choice.", questionType="text", scoreChange=80)
    state = d.run(d.game.attempt(state, 1, d.now()), graded)
    assert state.total_score == 50  # the model's score, clamped to the budget
