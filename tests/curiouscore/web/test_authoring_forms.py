"""The admin forms read into the API's bodies (and back), and the dashboard's cards."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from curiouscore.challenges.schemas import (
    ChallengeCreate,
    ChallengePublic,
    StepCreate,
    StepOut,
)
from curiouscore.progress.schemas import ChallengeProgress
from curiouscore.web.authoring_forms import (
    OPTION_ROWS,
    FormError,
    challenge_values,
    moved,
    step_defaults,
    step_values,
)
from curiouscore.web.catalogue import challenge_cards


def test_challenge_form_becomes_a_valid_create_body() -> None:
    form = {
        "title": [" Git "],
        "tags": ["git, basics ,, "],
        "difficulty": ["intermediate"],
        "challenge_type": ["simple"],
        "system_prompt": ["Teach {{title}}"],
        "custom_variables": ['{"audience": "new hires"}'],
        "estimated_time_minutes": ["25"],
        "xp_reward": ["150"],
        "passing_score": ["70"],
        "llm_model": [""],
    }

    body = ChallengeCreate.model_validate(challenge_values(form))

    assert body.title == "Git"
    assert body.tags == ["git", "basics"]
    assert body.custom_variables == {"audience": "new hires"}
    assert body.xp_reward == 150
    assert body.is_active is False  # an unticked checkbox sends nothing
    assert body.llm_model is None


def test_custom_variables_must_be_json() -> None:
    with pytest.raises(FormError, match="Custom variables is not valid JSON"):
        challenge_values({"title": ["x"], "custom_variables": ["{audience: 1}"]})


def test_blank_option_rows_are_dropped_and_the_marks_follow_their_options() -> None:
    form = {
        "step_type": ["MCQ_MULTI"],
        "title": ["Primes"],
        "instruction": ["Which are prime?"],
        "option_0": ["2"],
        "option_1": [""],
        "option_2": ["4"],
        "option_3": ["5"],
        "correct": ["0", "3"],
        "points_possible": ["30"],
        "passing_threshold": ["66"],
    }

    body = StepCreate.model_validate(step_values(form))

    assert body.options == ["2", "4", "5"]
    assert body.correct_answers == [0, 2]
    assert body.points_possible == 30


def test_true_false_and_chat_steps() -> None:
    tf = step_values(
        {"step_type": ["TRUE_FALSE"], "title": ["T"], "instruction": ["I"], "true_false": ["1"]}
    )
    assert tf["correct_answer"] == 1 and tf["options"] == []
    chat = step_values(
        {
            "step_type": ["CHAT"],
            "title": ["C"],
            "instruction": ["I"],
            "rubric": ['{"criteria": {"idea": {"description": "d", "points": 5}}}'],
            "option_0": ["ignored"],
            "correct": ["0"],
        }
    )
    assert chat["rubric"]["criteria"]["idea"]["points"] == 5
    assert chat["options"] == [] and chat["correct_answer"] is None


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"step_type": ["MCQ_SINGLE"], "option_0": ["a"], "option_1": ["b"]}, "exactly one"),
        (
            {
                "step_type": ["MCQ_SINGLE"],
                "option_0": ["a"],
                "option_1": ["b"],
                "correct": ["0", "1"],
            },
            "exactly one",
        ),
        ({"step_type": ["MCQ_MULTI"], "option_0": ["a"]}, "at least one"),
        ({"step_type": ["TRUE_FALSE"]}, "true or false"),
        ({"step_type": ["CHAT"]}, "needs a rubric"),
        ({"step_type": ["CHAT"], "rubric": ["[1,"]}, "Rubric is not valid JSON"),
    ],
)
def test_step_forms_that_cannot_be_read_say_why(form: dict, message: str) -> None:
    with pytest.raises(FormError, match=message):
        step_values(form)


def test_a_stored_step_fills_the_form_again() -> None:
    step = StepOut(
        id=uuid.uuid4(),
        challenge_id=uuid.uuid4(),
        step_index=0,
        step_type="MCQ_SINGLE",
        title="Pick",
        instruction="Which?",
        options=["a", "b", "c"],
        correct_answer=2,
        correct_answers=[],
        points_possible=10,
        passing_threshold=100,
        rubric=None,
        gm_context="",
        auto_narrate=True,
        created_at=datetime.now(UTC),
    )

    form = step_defaults(step)

    assert form["options"] == ["a", "b", "c"] + [""] * (OPTION_ROWS - 3)
    assert form["correct"] == {"2"}
    round_trip = {
        "step_type": [form["step_type"]],
        "title": [form["title"]],
        "instruction": [form["instruction"]],
        "correct": sorted(form["correct"]),
        **{f"option_{i}": [text] for i, text in enumerate(form["options"])},
    }
    assert step_values(round_trip)["correct_answer"] == 2


def test_moving_a_step_swaps_it_with_its_neighbour() -> None:
    order = ["a", "b", "c"]
    assert moved(order, "c", "up") == ["a", "c", "b"]
    assert moved(order, "a", "down") == ["b", "a", "c"]
    assert moved(order, "a", "up") == order  # the ends stay
    assert moved(order, "c", "down") == order
    with pytest.raises(FormError):
        moved(order, "z", "up")


def test_cards_join_the_catalogue_with_progress() -> None:
    def challenge(title: str) -> ChallengePublic:
        return ChallengePublic(
            id=uuid.uuid4(),
            title=title,
            description="",
            tags=[],
            difficulty="beginner",
            challenge_type="advanced",
            estimated_time_minutes=10,
            xp_reward=50,
            passing_score=70,
            help_resources=[],
        )

    played, fresh = challenge("Played"), challenge("Fresh")
    resume = uuid.uuid4()
    progress = [
        ChallengeProgress(
            challenge_id=played.id,
            title="Played",
            status="in_progress",
            progress_percent=40.0,
            best_percentage=None,
            passed=False,
            resume_session_id=resume,
        )
    ]

    cards = challenge_cards([played, fresh], progress)

    assert [c.challenge.title for c in cards] == ["Played", "Fresh"]
    assert (cards[0].status_label, cards[0].progress_percent) == ("In progress", 40.0)
    assert cards[0].resume_session_id == str(resume)
    assert (cards[1].status, cards[1].progress_percent, cards[1].resume_session_id) == (
        "not_started",
        0.0,
        None,
    )
