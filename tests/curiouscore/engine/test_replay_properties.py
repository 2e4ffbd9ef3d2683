"""Property: any sequence of learner actions and LLM outcomes replays to the same state, byte
for byte, from the first event or from a snapshot taken after any event."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curiouscore.engine.definitions import ChallengeDefinition, StepType
from curiouscore.engine.grading import InvalidAnswer
from curiouscore.engine.machine import Game, NotAllowed, Rules, TaskResult, replay
from curiouscore.engine.state import SessionState

answers = st.one_of(
    st.integers(min_value=-1, max_value=6),
    st.lists(st.integers(min_value=0, max_value=5), max_size=5),
    st.booleans(),
    st.text(max_size=20),
)


def _teaching_reply(mode: str, score: int, complete: bool, key: int) -> str:
    metadata = {
        "questionType": mode,
        "options": ["a", "b", "c"],
        "correctAnswer": key,
        "scoreChange": score,
        "isComplete": complete,
    }
    return f"Next question.<metadata>{json.dumps(metadata)}</metadata>"


teaching_replies = st.builds(
    _teaching_reply,
    st.sampled_from(["mcq", "text", "continue", "upload", "bogus"]),
    st.integers(min_value=-20, max_value=80),
    st.booleans(),
    st.integers(min_value=-1, max_value=3),
)
llm_results = st.one_of(
    st.just(None),  # a failure
    st.integers(min_value=-10, max_value=60),  # a LEM score
    teaching_replies,
)
ACTIONS = ["continue", "continue", "hint", "hint", "hint", "nope", "abandon"]


def _command(roll: int) -> st.SearchStrategy[tuple[str, object]]:
    # Half the commands are the right answer, so that many sessions reach the end.
    if roll < 5:
        return st.just(("solve", None))
    if roll < 7:
        return st.tuples(st.just("attempt"), answers)
    if roll < 9:
        return st.tuples(st.just("act"), st.sampled_from(ACTIONS))
    return st.just(("start", None))


commands = st.lists(st.integers(min_value=0, max_value=9).flatmap(_command), max_size=25)


def _result(value, clock_value: str) -> TaskResult:
    if value is None:
        return TaskResult(False, "scripted/gm", clock_value, error="timeout")
    if isinstance(value, int):
        data = {"raw_score": value, "rationale": "ok", "criteria_scores": {}, "passed": True}
        return TaskResult(True, "scripted/gm", clock_value, text=json.dumps(data), data=data)
    return TaskResult(True, "scripted/gm", clock_value, text=value)


def play(challenge: ChallengeDefinition, steps, results) -> tuple[SessionState, list]:
    tick = iter(range(10_000))

    def now() -> str:
        n = next(tick)
        return f"2026-01-01T{n // 3600:02d}:{n // 60 % 60:02d}:{n % 60:02d}.000+00:00"

    game = Game(challenge, Rules(max_hints_per_step=2, max_failed_evaluations=2))
    decision = game.create(session_id="s", user_id="u", now=now())
    state, events = decision.state, list(decision.events)
    outcomes = iter(results)
    for name, argument in steps:
        try:
            if name == "start":
                decision = game.start(state, now())
            elif name == "attempt":
                decision = game.attempt(state, argument, now())
            elif name == "solve":
                decision = _solve(game, state, now())
            else:
                decision = game.act(state, argument, now())
        except (NotAllowed, InvalidAnswer):
            continue
        state = decision.state
        events.extend(decision.events)
        queue = list(decision.tasks)
        while queue:
            task = queue.pop(0)
            follow = game.resolve(state, task, _result(next(outcomes, 40), now()), now())
            state = follow.state
            events.extend(follow.events)
            queue.extend(follow.tasks)
    return state, events


def _solve(game: Game, state: SessionState, now: str):
    step = game.challenge.step(min(state.current_step_index, len(game.challenge.steps) - 1))
    if game.challenge.is_simple:
        turn = state.simple
        key = turn.correct_answer if turn and turn.correct_answer is not None else 0
        options = turn.options if turn else []
        return game.attempt(state, key if options else "an answer", now)
    if step.step_type is StepType.CONTINUE_GATE:
        return game.act(state, "continue", now)
    if step.step_type is StepType.MCQ_MULTI:
        return game.attempt(state, list(step.correct_answers), now)
    if step.step_type is StepType.CHAT:
        return game.attempt(state, "an answer", now)
    return game.attempt(state, step.correct_answer, now)


def check(challenge: ChallengeDefinition, steps, results) -> None:
    live, events = play(challenge, steps, results)
    assert [e.sequence for e in events] == list(range(1, len(events) + 1))
    assert replay(challenge, events).canonical() == live.canonical()
    for cut in range(1, len(events) + 1):
        # A snapshot as stored: the state after event `cut`, through JSON and back.
        stored = json.loads(json.dumps(replay(challenge, events[:cut]).to_dict()))
        snapshot = SessionState.from_dict(stored)
        assert replay(challenge, events[cut:], snapshot).canonical() == live.canonical()
    assert 0 <= live.total_score <= live.max_possible_score
    assert live.total_score == sum(step.best_score for step in live.steps)
    if not challenge.is_simple:  # failed attempts earn nothing
        assert all(step.passed or step.best_score == 0 for step in live.steps)
    if live.outcome is not None:
        assert live.outcome.passed == (live.outcome.percentage >= challenge.passing_score)


def _engine_conftest():
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(
        "curiouscore_engine_conftest", Path(__file__).with_name("conftest.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Hypothesis tests take no function-scoped fixtures: the challenges are built once here.
ADVANCED_CHALLENGE = _engine_conftest().every_step_type()
SIMPLE = _engine_conftest().prompted()
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(steps=commands, results=st.lists(llm_results, max_size=30))
def test_advanced_sessions_replay_identically_from_any_snapshot(steps, results) -> None:
    check(ADVANCED_CHALLENGE, [("start", None), *steps], results)


@FAST
@given(steps=commands, results=st.lists(llm_results, max_size=30))
def test_simple_sessions_replay_identically_from_any_snapshot(steps, results) -> None:
    check(SIMPLE, [("start", None), *steps], results)
