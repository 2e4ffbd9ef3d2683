"""Admin authoring: challenges, steps (validated, reordered), versions, models, prompt checks."""

from __future__ import annotations

import uuid

import pytest

from servicekit.llm import LLMUnavailable


async def test_challenge_crud_page_search_filter(client, admin) -> None:
    tag = uuid.uuid4().hex[:8]
    ids = []
    for n, difficulty in enumerate(["beginner", "expert", "expert"]):
        created = await client.post(
            "/admin/challenges",
            json={"title": f"Zebra {tag} {n}", "description": "d", "difficulty": difficulty},
            headers=admin,
        )
        assert created.status_code == 201
        ids.append(created.json()["id"])
    page = (
        await client.get(
            f"/admin/challenges?search=zebra%20{tag}&difficulty=expert&limit=1", headers=admin
        )
    ).json()
    assert page["total"] == 2 and page["pages"] == 2 and len(page["items"]) == 1
    assert page["items"][0]["system_prompt"] == ""
    patched = await client.patch(
        f"/admin/challenges/{ids[0]}", json={"title": "Renamed", "xp_reward": 5}, headers=admin
    )
    assert patched.json()["title"] == "Renamed" and patched.json()["xp_reward"] == 5
    hidden = await client.patch(
        f"/admin/challenges/{ids[1]}/activation", json={"is_active": False}, headers=admin
    )
    assert hidden.json()["is_active"] is False
    assert ids[1] not in [c["id"] for c in (await client.get("/challenges")).json()]
    prompted = await client.patch(
        f"/admin/challenges/{ids[1]}/prompt", json={"system_prompt": "Teach."}, headers=admin
    )
    assert prompted.json()["system_prompt"] == "Teach."
    assert (await client.delete(f"/admin/challenges/{ids[0]}", headers=admin)).status_code == 204
    assert (await client.get(f"/admin/challenges/{ids[0]}", headers=admin)).status_code == 404


async def test_a_played_challenge_is_kept_with_its_sessions(
    client, admin, register, every_type, play
) -> None:
    learner = await register()
    sid = (await play(learner, "POST", "/sessions", {"challenge_id": every_type}, status=201))["id"]
    refused = await client.delete(f"/admin/challenges/{every_type}", headers=admin)
    assert refused.status_code == 409 and "deactivate" in refused.json()["detail"]
    assert (await play(learner, "GET", f"/sessions/{sid}/state"))["session"]["id"] == sid


@pytest.mark.parametrize(
    "body",
    [
        {"title": "x", "difficulty": "impossible"},
        {"title": "x", "challenge_type": "weird"},
        {"title": "x", "passing_score": 101},
        {"title": "x", "custom_variables": {"title": "shadow"}},
        {"title": "x", "custom_variables": {"progress_tracking": {"mode": "phases", "items": []}}},
        {"title": "x", "llm_model": "no-provider"},
        {"title": ""},
    ],
)
async def test_challenge_fields_are_validated(client, admin, body) -> None:
    assert (await client.post("/admin/challenges", json=body, headers=admin)).status_code == 422


@pytest.mark.parametrize(
    "step",
    [
        {
            "step_type": "MCQ_SINGLE",
            "title": "t",
            "instruction": "i",
            "options": ["a", "b"],
            "correct_answer": 2,
        },
        {
            "step_type": "MCQ_SINGLE",
            "title": "t",
            "instruction": "i",
            "options": ["a"],
            "correct_answer": 0,
        },
        {
            "step_type": "MCQ_MULTI",
            "title": "t",
            "instruction": "i",
            "options": ["a", "b"],
            "correct_answers": [],
        },
        {"step_type": "TRUE_FALSE", "title": "t", "instruction": "i", "correct_answer": 2},
        {"step_type": "CHAT", "title": "t", "instruction": "i"},
        {"step_type": "CHAT", "title": "t", "instruction": "i", "rubric": {"criteria": {}}},
        {
            "step_type": "CHAT",
            "title": "t",
            "instruction": "i",
            "rubric": {"criteria": {"a": {"points": 3}}},
        },
        {"step_type": "FILE_UPLOAD", "title": "t", "instruction": "i"},
    ],
)
async def test_steps_are_validated_per_type(client, admin, step) -> None:
    challenge = (await client.post("/admin/challenges", json={"title": "v"}, headers=admin)).json()
    answer = await client.post(
        f"/admin/challenges/{challenge['id']}/steps", json=step, headers=admin
    )
    assert answer.status_code == 422, answer.text


async def test_steps_insert_edit_reorder_delete(client, admin, every_type) -> None:
    base = f"/admin/challenges/{every_type}/steps"
    steps = (await client.get(base, headers=admin)).json()
    assert [s["step_index"] for s in steps] == [0, 1, 2, 3, 4]
    assert steps[1]["correct_answer"] == 1  # admins see keys
    inserted = await client.post(
        base,
        json={
            "step_type": "CONTINUE_GATE",
            "title": "Break",
            "instruction": "Rest",
            "step_index": 1,
        },
        headers=admin,
    )
    assert inserted.json()["step_index"] == 1 and inserted.json()["points_possible"] == 0
    titles = [s["title"] for s in (await client.get(base, headers=admin)).json()]
    assert titles == ["Welcome", "Break", "Pick", "Many", "TF", "Explain"]

    edited = await client.patch(
        f"{base}/{steps[1]['id']}", json={"correct_answer": 0}, headers=admin
    )
    assert edited.status_code == 200 and edited.json()["correct_answer"] == 0
    broken = await client.patch(
        f"{base}/{steps[1]['id']}", json={"correct_answer": 7}, headers=admin
    )
    assert broken.status_code == 422

    current = (await client.get(base, headers=admin)).json()
    order = [s["id"] for s in reversed(current)]
    reordered = await client.patch(f"{base}/reorder", json={"step_ids": order}, headers=admin)
    assert reordered.status_code == 200
    assert [s["id"] for s in reordered.json()] == order
    mismatch = await client.patch(f"{base}/reorder", json={"step_ids": order[:-1]}, headers=admin)
    assert mismatch.status_code == 400 and "mismatch" in mismatch.json()["detail"]

    assert (
        await client.delete(f"{base}/{inserted.json()['id']}", headers=admin)
    ).status_code == 204
    after = (await client.get(base, headers=admin)).json()
    assert [s["step_index"] for s in after] == [0, 1, 2, 3, 4]
    assert (await client.get(f"{base}/{uuid.uuid4()}", headers=admin)).status_code == 404


async def test_sessions_play_the_version_they_started(
    client, admin, register, every_type, play
) -> None:
    learner = await register()
    first = await play(learner, "POST", "/sessions", {"challenge_id": every_type}, status=201)
    await play(learner, "POST", f"/sessions/{first['id']}/start")
    await play(learner, "POST", f"/sessions/{first['id']}/action", {"action": "continue"})
    steps = (await client.get(f"/admin/challenges/{every_type}/steps", headers=admin)).json()
    await client.patch(
        f"/admin/challenges/{every_type}/steps/{steps[1]['id']}",
        json={"correct_answer": 2, "options": ["x", "y", "z"]},
        headers=admin,
    )
    # The running session still plays version 1: option 1 is still right for it.
    old = await play(learner, "POST", f"/sessions/{first['id']}/attempt", {"answer": 1})
    assert old["ui_response"]["score"] == 20
    second = await play(learner, "POST", "/sessions", {"challenge_id": every_type}, status=201)
    assert second["challenge_version"] == 2
    await play(learner, "POST", f"/sessions/{second['id']}/start")
    new = await play(learner, "POST", f"/sessions/{second['id']}/action", {"action": "continue"})
    assert new["ui_response"]["options"] == ["x", "y", "z"]
    # Unchanged content creates no new version.
    third = await play(learner, "POST", "/sessions", {"challenge_id": every_type}, status=201)
    assert third["challenge_version"] == 2


async def test_per_challenge_model_is_used(
    client, admin, register, every_type, play, llm_script
) -> None:
    other = llm_script("cc-other", ["Narrated by the other model.", "Also the other model."])
    learner = await register()
    running = await play(learner, "POST", "/sessions", {"challenge_id": every_type}, status=201)
    await play(learner, "POST", f"/sessions/{running['id']}/start")
    mapped = await client.put(
        f"/admin/challenges/{every_type}/model",
        json={"llm_model": "scripted/cc-other"},
        headers=admin,
    )
    assert mapped.json()["llm_model"] == "scripted/cc-other"
    # A running session switches at once (an operator moving off a failing model means it).
    moved = await play(learner, "POST", f"/sessions/{running['id']}/action", {"action": "continue"})
    assert moved["ui_response"]["messages"][-1]["content"] == "Narrated by the other model."
    new = await play(learner, "POST", "/sessions", {"challenge_id": every_type}, status=201)
    assert new["challenge_version"] == running["challenge_version"]  # the model is not content
    started = await play(learner, "POST", f"/sessions/{new['id']}/start")
    assert started["ui_response"]["messages"][-1]["content"] == "Also the other model."
    assert len(other.calls) == 2
    overview = (await client.get("/admin/challenges/models", headers=admin)).json()
    assert overview["default_model"] == "scripted/cc-gm"
    assert "scripted" in overview["configured_providers"]
    assert {
        "challenge_id": every_type,
        "title": mapped.json()["title"],
        "llm_model": "scripted/cc-other",
    } in overview["assignments"]


async def test_verify_prompt_tiers(client, admin, gm, llm_script) -> None:
    weak = await client.post(
        "/admin/challenges/verify-prompt",
        json={"system_prompt": "Be nice.", "run_llm": False},
        headers=admin,
    )
    body = weak.json()
    assert body["tier1_heuristics"]["score"] == 20 and not body["tier1_heuristics"]["passed"]
    assert body["overall_recommendation"] == "reject" and body["tier2_llm"] is None
    good_prompt = (
        "You guide beginner learners through Python lists step by step.\n\n"
        "In each phase, explain one idea, then ask a question and check the answer. "
        "Help the student practice until they understand slicing and methods."
    )
    gm.teach.append({"feedback": "Clear.", "suggestions": ["Add examples"], "confidence": 80})
    good = (
        await client.post(
            "/admin/challenges/verify-prompt", json={"system_prompt": good_prompt}, headers=admin
        )
    ).json()
    assert good["tier1_heuristics"]["passed"] and good["overall_recommendation"] == "approve"
    assert good["tier2_llm"]["confidence"] == 80
    gm.teach.append({"feedback": "?", "suggestions": [], "confidence": float("nan")})
    odd = await client.post(
        "/admin/challenges/verify-prompt", json={"system_prompt": good_prompt}, headers=admin
    )
    assert odd.status_code == 200 and odd.json()["tier2_llm"]["confidence"] == 0
    gm.teach.append(LLMUnavailable("down"))
    down = (
        await client.post(
            "/admin/challenges/verify-prompt", json={"system_prompt": good_prompt}, headers=admin
        )
    ).json()
    assert down["tier2_llm"]["confidence"] == 0 and down["overall_recommendation"] == "review"


async def test_test_run_for_simple_challenges_only(client, admin, every_type, gm) -> None:
    simple = (
        await client.post(
            "/admin/challenges",
            json={
                "title": "Lists",
                "challenge_type": "simple",
                "system_prompt": "Teach {{title}} to a {{difficulty}} learner about {{topic}}.",
                "custom_variables": {"topic": "slicing"},
            },
            headers=admin,
        )
    ).json()
    gm.teach.append('Welcome!<metadata>{"questionType": "text", "progressPercent": 0}</metadata>')
    run = await client.post(
        f"/admin/challenges/{simple['id']}/test-run", json={"test_message": "hi"}, headers=admin
    )
    body = run.json()
    assert run.status_code == 200 and body["content"] == "Welcome!"
    assert body["metadata"] == {"questionType": "text", "progressPercent": 0}
    assert "Teach Lists to a beginner learner about slicing." in body["system_prompt_preview"]
    refused = await client.post(
        f"/admin/challenges/{every_type}/test-run", json={"test_message": "hi"}, headers=admin
    )
    assert refused.status_code == 400
    unresolved = (
        await client.post(
            "/admin/challenges",
            json={"title": "Bad", "challenge_type": "simple", "system_prompt": "Hi {{nobody}}"},
            headers=admin,
        )
    ).json()
    bad = await client.post(
        f"/admin/challenges/{unresolved['id']}/test-run", json={"test_message": "hi"}, headers=admin
    )
    assert bad.status_code == 400 and "Variable substitution error" in bad.json()["detail"]


async def test_a_step_deleted_mid_session_stays_in_that_session(
    client, admin, register, every_type, play, open_session
) -> None:
    learner = await register()
    sid = await open_session(learner, every_type)
    steps = (await client.get(f"/admin/challenges/{every_type}/steps", headers=admin)).json()
    deleted = await client.delete(
        f"/admin/challenges/{every_type}/steps/{steps[1]['id']}", headers=admin
    )
    assert deleted.status_code == 204
    answered = await play(learner, "POST", f"/sessions/{sid}/attempt", {"answer": 1})
    ui = answered["ui_response"]
    assert (ui["total_steps"], ui["score"], ui["step_title"]) == (5, 20, "Many")
    fresh = await play(learner, "POST", "/sessions", {"challenge_id": every_type}, status=201)
    assert fresh["challenge_version"] == 2 and fresh["max_possible_score"] == 80
