"""What the learner's client receives never holds answer keys, rubrics or Game Master context."""

from __future__ import annotations

import json

from curiouscore.engine.machine import Game, Rules, TaskResult
from curiouscore.engine.view import ui_response


def test_ui_response_shows_options_but_no_keys(challenge, clock) -> None:
    game = Game(challenge, Rules())
    state = game.create(session_id="s", user_id="u", now=clock()).state
    decision = game.start(state, clock())
    state = decision.state
    state = game.act(state, "continue", clock()).state
    view = ui_response(state, challenge, Rules())
    assert view["ui_mode"] == "MCQ_SINGLE"
    assert view["options"] == ["A", "B", "C"]
    text = json.dumps(view)
    for secret in ("correct_answer", "correct_answers", "rubric", "gm_context", "criteria"):
        assert secret not in text


def test_progress_is_step_based_and_never_exceeds_100(challenge, clock) -> None:
    game = Game(challenge, Rules())
    state = game.create(session_id="s", user_id="u", now=clock()).state
    state = game.start(state, clock()).state
    state = game.act(state, "continue", clock()).state
    state = game.attempt(state, 1, clock()).state
    view = ui_response(state, challenge, Rules())
    assert view["progress_percentage"] == 40.0  # 2 of 5 steps done
    assert view["score"] == 20 and view["max_score"] == 100
    data = {"raw_score": 40, "rationale": "good", "criteria_scores": {}, "passed": True}
    state = game.attempt(state, [0, 1, 3], clock()).state
    state = game.attempt(state, 1, clock()).state
    decision = game.attempt(state, "answer", clock())
    task = decision.tasks[0]
    state = game.resolve(
        decision.state, task, TaskResult(True, "m", clock(), data=data), clock()
    ).state
    view = ui_response(state, challenge, Rules())
    assert view["progress_percentage"] == 100.0
    assert view["outcome"] == {
        "final_score": 100,
        "max_score": 100,
        "percentage": 100.0,
        "passed": True,
    }
