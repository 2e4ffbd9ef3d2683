"""Bad input of any shape gets a 4xx through the error envelope, never a 500."""

from __future__ import annotations

import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=8,
)

FIELDS = {
    "/auth/register": ["email", "password", "username"],
    "/auth/login": ["email", "password"],
    "/auth/refresh": ["refresh_token"],
    "/sessions": ["challenge_id"],
    "/admin/challenges": ["title", "challenge_type", "xp_reward", "passing_score", "llm_model"],
    "/admin/challenges/verify-prompt": ["system_prompt", "run_llm", "difficulty"],
    "steps": ["step_type", "title", "instruction", "options", "correct_answer", "rubric"],
    "attempt": ["answer"],
    "action": ["action"],
    "chat": ["session_id", "message"],
}


def bodies(fields: list[str]) -> st.SearchStrategy[object]:
    known = st.fixed_dictionaries({}, optional={name: json_values for name in fields})
    return st.one_of(known, json_values)


FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(data=st.data())
async def test_no_body_makes_the_server_fail(client, admin, every_type_for_fuzz, data) -> None:
    challenge_id, session_id, learner = every_type_for_fuzz
    targets = [
        ("/auth/register", {}, "/auth/register"),
        ("/auth/login", {}, "/auth/login"),
        ("/auth/refresh", {}, "/auth/refresh"),
        ("/sessions", learner, "/sessions"),
        ("/admin/challenges", admin, "/admin/challenges"),
        ("/admin/challenges/verify-prompt", admin, "/admin/challenges/verify-prompt"),
        (f"/admin/challenges/{challenge_id}/steps", admin, "steps"),
        (f"/sessions/{session_id}/attempt", learner, "attempt"),
        (f"/sessions/{session_id}/action", learner, "action"),
        ("/chat", learner, "chat"),
    ]
    path, headers, kind = data.draw(st.sampled_from(targets))
    body = data.draw(bodies(FIELDS[kind]))
    answer = await client.post(path, json=body, headers=headers)
    assert answer.status_code < 500, (path, body, answer.text)
    if answer.status_code >= 400:
        assert answer.json()["error"]["message"]


async def test_malformed_ids_and_queries_are_4xx(client, admin, register) -> None:
    learner = await register()
    for path, headers in (
        ("/sessions/not-a-uuid/state", learner),
        (f"/sessions/{uuid.uuid4()}/state", learner),
        ("/sessions?status=bogus", learner),
        ("/sessions?limit=0", learner),
        ("/admin/challenges?page=0", admin),
        ("/admin/challenges?limit=1000", admin),
        ("/admin/challenges/not-a-uuid", admin),
        ("/challenges/not-a-uuid", {}),
        ("/leaderboard?limit=-1", learner),
    ):
        answer = await client.get(path, headers=headers)
        assert 400 <= answer.status_code < 500, path


async def test_sizes_are_bounded(client, admin, core, every_type_for_fuzz) -> None:
    _, session_id, learner = every_type_for_fuzz
    limit = core.settings.max_request_bytes
    huge = {"email": "a@b.co", "password": "x" * limit}
    declared = await client.post("/auth/register", json=huge)
    assert declared.status_code == 413 and "MAX_REQUEST_BYTES" in declared.json()["detail"]

    async def chunks():  # no Content-Length: counted as it arrives
        for _ in range(limit // 1000 + 2):
            yield b" " * 1000

    chunked = await client.post(
        "/auth/login", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert chunked.status_code == 413 and chunked.json()["error"]["code"]

    too_long = [
        ("/chat", learner, {"session_id": session_id, "message": "x" * 2001}),
        (
            "/admin/challenges/verify-prompt",
            admin,
            {"system_prompt": "x" * 20001, "run_llm": False},
        ),
        ("/admin/challenges", admin, {"title": "t", "system_prompt": "x" * 20001}),
    ]
    for path, headers, body in too_long:
        answer = await client.post(path, json=body, headers=headers)
        assert answer.status_code == 422, path
