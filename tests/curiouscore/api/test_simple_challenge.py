"""A simple (prompt-driven) challenge played over HTTP: the engine stays the authority."""

from __future__ import annotations

import json


def meta(text: str, **fields) -> str:
    return f"{text}\n<metadata>{json.dumps(fields)}</metadata>"


async def simple_session(client, admin, register, play, **fields) -> tuple[dict, str]:
    """(a new learner's headers, their created session) on a new simple challenge."""
    created = await client.post(
        "/admin/challenges", json={"challenge_type": "simple", **fields}, headers=admin
    )
    learner = await register()
    body = {"challenge_id": created.json()["id"]}
    return learner, (await play(learner, "POST", "/sessions", body, status=201))["id"]


async def test_simple_challenge_is_graded_and_finished_by_the_engine(
    client, admin, register, play, gm
) -> None:
    created = await client.post(
        "/admin/challenges",
        json={
            "title": "Python lists",
            "challenge_type": "simple",
            "xp_reward": 50,
            "passing_score": 60,
            "system_prompt": "You teach {{title}} ({{difficulty}}). Ask three questions.",
        },
        headers=admin,
    )
    challenge_id = created.json()["id"]
    learner = await register()
    sid = (await play(learner, "POST", "/sessions", {"challenge_id": challenge_id}, status=201))[
        "id"
    ]
    gm.teach.extend(
        [
            meta(
                "Welcome! Which literal is a list?",
                questionType="mcq",
                options=["[1, 2]", "(1, 2)", "{1, 2}"],
                correctAnswer=0,
                questionNumber=1,
                totalQuestions=2,
            ),
            meta("Right! Why are lists mutable?", questionType="text", scoreChange=999),
            meta("Good. Ready?", questionType="continue", scoreChange=20),
            meta("All done.", isComplete=True, scoreChange=0),
        ]
    )
    started = await play(learner, "POST", f"/sessions/{sid}/start")
    ui = started["ui_response"]
    assert ui["ui_mode"] == "MCQ_SINGLE" and ui["options"] == ["[1, 2]", "(1, 2)", "{1, 2}"]
    assert ui["question_number"] == 1 and ui["total_questions"] == 2
    assert ui["messages"][-1]["content"] == "Welcome! Which literal is a list?"
    assert "correctAnswer" not in json.dumps(started) and "<metadata>" not in json.dumps(started)

    answered = await play(learner, "POST", f"/sessions/{sid}/attempt", {"answer": 0})
    assert answered["ui_response"]["score"] == 50  # 999 proposed, clamped to the 50 budget
    assert answered["ui_response"]["ui_mode"] == "CHAT"
    # The model received the option text (not its index) once, with the engine's verdict, under
    # the author's prompt with its variables filled in.
    turn = gm.conversations[-1]
    assert turn[0]["content"].startswith("You teach Python lists (beginner).")
    said = [m["content"] for m in turn if m["role"] == "user"]
    assert said[-1] == "[1, 2]\n[The engine graded this choice as correct.]"
    assert sum("[1, 2]" in text for text in said) == 1
    await play(
        learner, "POST", f"/sessions/{sid}/attempt", {"answer": "Because you can change them"}
    )
    cont = await play(learner, "GET", f"/sessions/{sid}/state")
    assert cont["ui_response"]["can_continue"] and cont["ui_response"]["score"] == 50
    done = await play(learner, "POST", f"/sessions/{sid}/action", {"action": "continue"})
    assert done["ui_response"]["status"] == "completed"
    assert done["ui_response"]["outcome"]["passed"] is True
    assert (await play(learner, "GET", "/auth/me"))["xp"] == 50 + 50  # reward + First Steps


async def test_simple_challenge_claiming_completion_below_passing_fails(
    client, admin, register, play, gm
) -> None:
    learner, sid = await simple_session(
        client, admin, register, play, title="Short", xp_reward=100, passing_score=70
    )
    gm.teach.extend(
        [meta("Say anything.", questionType="text"), meta("Done!", isComplete=True, scoreChange=30)]
    )
    await play(learner, "POST", f"/sessions/{sid}/start")
    done = await play(learner, "POST", f"/sessions/{sid}/attempt", {"answer": "anything"})
    outcome = done["ui_response"]["outcome"]
    assert outcome == {"final_score": 30, "max_score": 100, "percentage": 30.0, "passed": False}
    assert (await play(learner, "GET", "/auth/me"))["xp"] == 0


async def test_simple_challenge_hints_see_the_question_and_cost_points(
    client, admin, register, play, gm
) -> None:
    learner, sid = await simple_session(client, admin, register, play, title="Hinted", xp_reward=40)
    gm.teach.extend(
        [
            meta(
                "Which keyword defines a function?",
                questionType="mcq",
                options=["def", "fn"],
                correctAnswer=0,
            ),
            meta("Yes!", questionType="text", scoreChange=40, isComplete=True),
        ]
    )
    await play(learner, "POST", f"/sessions/{sid}/start")
    hinted = await play(learner, "POST", f"/sessions/{sid}/action", {"action": "hint"})
    assert "Which keyword defines a function?" in gm.prompts[-1]
    assert "Answer type: multiple choice" in gm.prompts[-1]
    await play(learner, "POST", "/chat", {"session_id": sid, "message": "Where do I start?"})
    assert "Which keyword defines a function?" in gm.prompts[-1]  # the coach sees it too
    assert hinted["ui_response"]["hints_used"] == 1
    done = await play(learner, "POST", f"/sessions/{sid}/attempt", {"answer": 0})
    assert done["ui_response"]["outcome"]["final_score"] == 36  # 40 less the 10% hint cost
