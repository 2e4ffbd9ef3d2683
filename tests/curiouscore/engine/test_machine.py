"""The state machine, command by command, with the LLM results handed in by the test."""

from __future__ import annotations

from dataclasses import replace

import pytest

from curiouscore.engine.definitions import (
    ChallengeDefinition,
    ChallengeType,
    StepDefinition,
    StepType,
)
from curiouscore.engine.events import EventType
from curiouscore.engine.grading import InvalidAnswer
from curiouscore.engine.machine import (
    EVALUATION_UNAVAILABLE,
    NARRATION_UNAVAILABLE,
    Decision,
    Game,
    NotAllowed,
    TaskKind,
    TaskResult,
    replay,
)
from curiouscore.engine.state import MESSAGE_WINDOW, SessionState


def ok(text: str = "", data: dict | None = None) -> TaskResult:
    return TaskResult(True, "scripted/gm", "2026-01-01T00:00:00.000+00:00", text=text, data=data)


def failed(error: str = "timeout") -> TaskResult:
    return TaskResult(False, "scripted/gm", "2026-01-01T00:00:00.000+00:00", error=error)


class Player:
    """Drives a Game like the service does: commands, then each LLM task resolved in turn."""

    def __init__(self, game: Game, clock) -> None:
        self.game = game
        self.clock = clock
        self.events: list = []
        self.state = self._take(game.create(session_id="s-1", user_id="u-1", now=clock()))

    def _take(self, decision: Decision, results: list[TaskResult] | None = None) -> SessionState:
        state = decision.state
        self.events.extend(decision.events)
        queue = list(decision.tasks)
        answers = list(results or [])
        while queue:
            task = queue.pop(0)
            result = answers.pop(0) if answers else ok(f"narration for {task.step_index}")
            follow = self.game.resolve(state, task, result, self.clock())
            state = follow.state
            self.events.extend(follow.events)
            queue.extend(follow.tasks)
        self.state = state
        return state

    def start(self, *results: TaskResult) -> SessionState:
        return self._take(self.game.start(self.state, self.clock()), list(results))

    def attempt(self, answer, *results: TaskResult) -> SessionState:
        return self._take(self.game.attempt(self.state, answer, self.clock()), list(results))

    def act(self, action: str, *results: TaskResult) -> SessionState:
        return self._take(self.game.act(self.state, action, self.clock()), list(results))

    def types(self) -> list[str]:
        return [e.type.value for e in self.events]


def at_chat_step(player: Player) -> None:
    """Gate, MCQ, MULTI and TF passed with full marks: 60 points, the CHAT step next."""
    player.start()
    player.act("continue")
    player.attempt(1)
    player.attempt([0, 1, 3])
    player.attempt(1)


@pytest.fixture
def player(challenge, rules, clock) -> Player:
    return Player(Game(challenge, rules), clock)


def lem(score: int, rationale: str = "You covered the idea.") -> TaskResult:
    return ok(
        data={"raw_score": score, "rationale": rationale, "criteria_scores": {}, "passed": True}
    )


def test_full_run_scores_every_step_type_and_completes(player: Player) -> None:
    player.start()
    assert player.state.ui_mode == "CONTINUE_GATE"
    player.act("continue")
    assert player.state.ui_mode == "MCQ_SINGLE"
    player.attempt(1)
    player.attempt([0, 1, 3])
    player.attempt(1)
    state = player.attempt("Because it is the idea", lem(35))
    assert state.status == "completed"
    assert state.ui_mode == "COMPLETED"
    assert state.total_score == 20 + 30 + 10 + 35
    assert state.outcome is not None
    assert (state.outcome.final_score, state.outcome.max_score) == (95, 100)
    assert state.outcome.passed
    assert player.types()[-1] == "SESSION_COMPLETED"


def test_every_step_with_auto_narrate_is_narrated_on_entry(challenge, rules, clock) -> None:
    steps = list(challenge.steps)
    steps[2] = replace(steps[2], auto_narrate=False)
    player = Player(Game(replace(challenge, steps=tuple(steps)), rules), clock)
    player.start()
    player.act("continue")
    player.attempt(1)
    player.attempt([0, 1, 3])
    narrated = [e.data["step_index"] for e in player.events if e.type is EventType.GM_NARRATED]
    assert narrated == [0, 1, 3]


def test_a_final_gate_completes_the_session_on_continue(challenge, rules, clock) -> None:
    closing = StepDefinition(5, StepType.CONTINUE_GATE, "Wrap-up", "Well done", points_possible=0)
    player = Player(Game(replace(challenge, steps=(*challenge.steps, closing)), rules), clock)
    at_chat_step(player)
    state = player.attempt("idea", lem(40))
    assert (state.status, state.current_step_index, state.ui_mode) == ("active", 5, "CONTINUE_GATE")
    state = player.act("continue")
    assert state.status == "completed" and state.outcome.final_score == 100
    assert player.types()[-1] == "SESSION_COMPLETED"


def test_continue_only_passes_gates(player: Player) -> None:
    player.start()
    player.act("continue")
    with pytest.raises(NotAllowed, match="gate"):
        player.act("continue")
    assert player.state.current_step_index == 1


def test_failed_attempts_add_no_points_and_count_as_mistakes(player: Player) -> None:
    player.start()
    player.act("continue")
    player.attempt(0)
    player.attempt(2)
    assert player.state.total_score == 0
    assert player.state.mistakes_count == 2
    assert player.state.current_step_index == 1
    player.attempt(1)
    assert player.state.total_score == 20
    assert player.state.steps[1].attempts == 3


def test_partial_credit_below_threshold_stays_and_earns_nothing(player: Player) -> None:
    player.start()
    player.act("continue")
    player.attempt(1)
    player.attempt([0])  # 10/30 < 66%
    assert player.state.current_step_index == 2
    assert player.state.total_score == 20
    player.attempt([0, 1])  # 20/30 passes
    assert player.state.total_score == 40
    assert player.state.current_step_index == 3


def test_passing_score_decides_the_outcome(challenge, rules, clock) -> None:
    strict = Game(replace(challenge, passing_score=99), rules)
    p = Player(strict, clock)
    p.start()
    p.act("continue")
    p.attempt(1)
    p.attempt([0, 1, 3])
    p.attempt(1)
    state = p.attempt("idea", lem(40))
    assert state.outcome.percentage == 100.0 and state.outcome.passed
    p2 = Player(strict, clock)
    p2.start()
    p2.act("continue")
    p2.attempt(1)
    p2.attempt([0, 1])
    p2.attempt(1)
    state = p2.attempt("idea", lem(40))
    assert state.status == "completed"
    assert state.outcome.percentage == 90.0 and not state.outcome.passed


def test_lem_score_is_clamped_and_thresholded_by_the_engine(player: Player) -> None:
    at_chat_step(player)
    state = player.attempt("weak", lem(20))  # 20/40 < 60% though the LEM said passed
    assert state.current_step_index == 4 and state.status == "active"
    assert state.total_score == 60
    state = player.attempt("strong", lem(400))
    assert state.total_score == 100  # clamped to 40
    assert state.outcome.final_score <= state.outcome.max_score


def test_answers_after_completion_are_refused(player: Player) -> None:
    at_chat_step(player)
    player.attempt("idea", lem(40))
    with pytest.raises(NotAllowed):
        player.attempt(1)
    with pytest.raises(NotAllowed):
        player.act("hint")


def test_llm_failure_on_chat_scores_zero_then_lets_the_learner_move_on(player: Player) -> None:
    at_chat_step(player)
    state = player.attempt("my answer", failed())
    assert state.status == "active" and state.total_score == 60
    assert state.messages[-1].content == EVALUATION_UNAVAILABLE
    with pytest.raises(NotAllowed):
        player.act("continue")  # one failure: retry first
    player.attempt("my answer", failed("unavailable"))
    state = player.act("continue")
    assert state.status == "completed"
    assert state.steps[4].passed is False and state.steps[4].best_score == 0
    assert state.mistakes_count == 0  # the LLM's failures are not the learner's mistakes


def test_narration_failure_shows_a_calm_message(player: Player) -> None:
    state = player.start(failed("unavailable"))
    assert state.messages[-1].content == NARRATION_UNAVAILABLE
    assert state.status == "active"


def test_hints_are_limited_and_cost_points(player: Player) -> None:
    player.start()
    player.act("continue")
    player.act("hint", ok("Think about B."))
    player.act("hint", ok("Really, B."))
    with pytest.raises(NotAllowed, match="No hints left"):
        player.act("hint")
    state = player.attempt(1)
    assert state.hints_used == 2
    assert state.total_score == 20 - 2 - 2  # 10% of 20 per hint
    assert "SCORE_DEDUCTED" in player.types()
    hints = [m.content for m in state.messages if m.metadata == {"hint": True}]
    assert hints == ["💡 Hint: Think about B.", "💡 Hint: Really, B."]


def test_a_failed_hint_costs_nothing(player: Player) -> None:
    player.start()
    player.act("continue")
    state = player.act("hint", failed())
    assert state.hints_used == 0 and state.steps[1].deducted == 0


def test_no_hint_on_a_gate_and_unknown_actions(player: Player) -> None:
    player.start()
    with pytest.raises(NotAllowed):
        player.act("hint")
    with pytest.raises(NotAllowed, match="Valid actions"):
        player.act("skip")


def test_abandon(player: Player) -> None:
    player.start()
    state = player.act("abandon")
    assert state.status == "abandoned"
    with pytest.raises(NotAllowed):
        player.act("continue")


def test_invalid_answers_record_nothing(player: Player) -> None:
    player.start()
    player.act("continue")
    before = player.state.last_sequence
    with pytest.raises(InvalidAnswer):
        player.game.attempt(player.state, 7, "2026-01-01T01:00:00.000+00:00")
    with pytest.raises(NotAllowed):
        player.game.start(player.state, "2026-01-01T01:00:00.000+00:00")
    assert player.state.last_sequence == before


def test_chat_answers_must_be_non_blank_and_bounded(player: Player, rules) -> None:
    at_chat_step(player)
    for bad in ("   ", "x" * (rules.max_answer_chars + 1), [1, 2]):
        with pytest.raises(InvalidAnswer):
            player.game.attempt(player.state, bad, "2026-01-01T01:00:00.000+00:00")


def test_attempt_before_start_is_refused(player: Player) -> None:
    with pytest.raises(NotAllowed, match="not started"):
        player.attempt(1)


def test_every_declared_event_type_is_written_by_some_path(challenge, rules, clock) -> None:
    seen: set[str] = set()
    full = Player(Game(challenge, rules), clock)
    full.start()
    full.act("continue")
    full.act("hint", ok("hint"))
    full.attempt(0)
    full.attempt(1)
    full.attempt([0, 1, 3])
    full.attempt(1)
    full.attempt("answer", lem(40))
    seen.update(full.types())
    quitter = Player(Game(challenge, rules), clock)
    quitter.start()
    quitter.act("abandon")
    seen.update(quitter.types())
    assert seen == {t.value for t in EventType}


def test_sequences_are_contiguous_and_replay_matches_live_state(player: Player) -> None:
    player.start()
    player.act("continue")
    player.attempt(0)
    player.attempt(1)
    assert [e.sequence for e in player.events] == list(range(1, len(player.events) + 1))
    rebuilt = replay(player.game.challenge, player.events)
    assert rebuilt.canonical() == player.state.canonical()


def test_replay_refuses_a_gap(player: Player) -> None:
    player.start()
    with pytest.raises(ValueError, match="gap"):
        replay(player.game.challenge, [player.events[0], player.events[2]])


def test_tasks_carry_the_step_they_belong_to(challenge, rules, clock) -> None:
    game = Game(challenge, rules)
    p = Player(game, clock)
    decision = game.start(p.state, clock())
    assert [(t.kind, t.step_index) for t in decision.tasks] == [(TaskKind.narrate, 0)]


def test_feedback_never_promises_points_a_failed_attempt_did_not_earn(player: Player) -> None:
    player.start()
    player.act("continue")
    player.attempt(1)
    state = player.attempt([0])  # 10/30: below the 66% threshold
    assert state.messages[-1].content == (
        "Partly right (10/30), but this step needs 66% to pass. Try again."
    )
    state = player.attempt([0, 1])
    feedback = [m.content for m in state.messages if m.content.startswith("Partly right, and")]
    assert feedback == ["Partly right, and enough to pass. You earned 20/30 points."]


def test_the_transcript_kept_in_the_state_is_bounded(player: Player) -> None:
    player.start()
    player.act("continue")
    for _ in range(MESSAGE_WINDOW):
        player.attempt(0)  # two messages each: the answer and the feedback
    assert len(player.state.messages) == MESSAGE_WINDOW
    assert player.state.messages[-1].content == "Not quite. Try again."
    assert player.state.steps[1].attempts == MESSAGE_WINDOW
    assert replay(player.game.challenge, player.events).canonical() == player.state.canonical()


def test_a_zero_point_chat_step_follows_the_lem_verdict(clock) -> None:
    reflection = ChallengeDefinition(
        challenge_id="c-0",
        version=1,
        title="Reflect",
        challenge_type=ChallengeType.advanced,
        passing_score=0,
        xp_reward=10,
        steps=(StepDefinition(0, StepType.CHAT, "Reflect", "Say something", points_possible=0),),
    )
    p = Player(Game(reflection), clock)
    p.start()
    verdict = {"raw_score": 0, "rationale": "Thanks.", "criteria_scores": {}}
    state = p.attempt("meh", ok(data={**verdict, "passed": False}))
    assert state.status == "active"
    state = p.attempt("a real reflection", ok(data={**verdict, "passed": True}))
    assert state.status == "completed" and state.outcome.percentage == 100.0
