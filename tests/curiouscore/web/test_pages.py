"""The web app's pages over HTTP: sign-in cookies and their invisible refresh, sign-out that
revokes, cross-site forms refused, roles, the one declared input per step, answer keys and
prompts never in a learner's HTML, the completion card's rewards, error pages, and links that
stay right under a mount prefix."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import httpx
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.routing import Mount

from curiouscore.main import build_app
from curiouscore.web.session_cookies import ACCESS_COOKIE, REFRESH_COOKIE

SECRETS = ("SECRET-GM-CONTEXT", "SECRET-SYSTEM-PROMPT", "States the main idea", "correct_answer")
WIDGET_MARKERS = {
    "radio": 'type="radio" name="choice"',
    "checkboxes": 'type="checkbox" name="choices"',
    "true_false": ">True</button>",
    "text": '<textarea name="text"',
    "continue": 'name="action" value="continue"',
}


def set_cookies(response: httpx.Response) -> dict[str, str]:
    """Cookie name -> its whole Set-Cookie header."""
    return {h.split("=", 1)[0]: h for h in response.headers.get_list("set-cookie")}


def widget_of(html: str) -> str:
    return re.search(r'data-widget="([a-z_]+)"', html).group(1)


def inputs_shown(html: str) -> set[str]:
    return {name for name, marker in WIDGET_MARKERS.items() if marker in html}


async def test_sign_up_keeps_the_tokens_in_httponly_lax_cookies_of_the_ui(
    ui: httpx.AsyncClient,
) -> None:
    answer = await ui.post(
        "/ui/register",
        data={"email": "cookie-check@example.org", "password": "long enough pw", "username": "ck"},
    )

    assert answer.status_code == 303
    assert answer.headers["location"] == "/ui"
    cookies = set_cookies(answer)
    for name in (ACCESS_COOKIE, REFRESH_COOKIE):
        header = cookies[name].lower()
        assert "httponly" in header
        assert "samesite=lax" in header
        assert "path=/ui" in header
        assert "secure" not in header  # development over plain http
    dashboard = await ui.get("/ui")
    assert dashboard.status_code == 200
    assert "Welcome, ck" in dashboard.text


async def test_registration_errors_are_shown_on_the_form(
    ui: httpx.AsyncClient, sign_up: Callable[..., Any]
) -> None:
    short = await ui.post("/ui/register", data={"email": "a@example.org", "password": "short"})
    assert short.status_code == 422
    assert "password" in short.text and "at least 8 characters" in short.text
    assert not set_cookies(short)

    email = await sign_up(ui, "twice")
    ui.cookies.clear()
    again = await ui.post("/ui/register", data={"email": email, "password": "long enough pw"})
    assert again.status_code == 409
    assert "Email already registered" in again.text


async def test_anonymous_visitors_are_sent_to_sign_in_and_back(
    ui: httpx.AsyncClient, sign_up: Callable[..., Any], sign_in: Callable[..., Any]
) -> None:
    page = await ui.get("/ui/profile")
    assert page.status_code == 303
    assert page.headers["location"] == "/ui/login?next=%2Fui%2Fprofile"

    htmx = await ui.post(
        "/ui/sessions/00000000-0000-0000-0000-000000000000/answer", headers={"HX-Request": "true"}
    )
    assert htmx.headers["HX-Redirect"] == "/ui/login"

    email = await sign_up(ui, "returning")
    ui.cookies.clear()
    wrong = await sign_in(ui, email, "not the password")
    assert wrong.status_code == 401
    assert "Wrong email or password." in wrong.text
    assert not set_cookies(wrong)
    back = await ui.post(
        "/ui/login",
        data={"email": email, "password": "correct horse battery", "next": "/ui/profile"},
    )
    assert back.status_code == 303
    assert back.headers["location"] == "/ui/profile"
    # Only pages of this UI are followed after signing in, never another site.
    ui.cookies.clear()
    elsewhere = await ui.post(
        "/ui/login",
        data={"email": email, "password": "correct horse battery", "next": "//evil.example/ui"},
    )
    assert elsewhere.headers["location"] == "/ui"


async def test_an_expired_access_token_is_refreshed_without_the_learner_noticing(
    ui: httpx.AsyncClient, sign_up: Callable[..., Any], client: httpx.AsyncClient
) -> None:
    await sign_up(ui, "refresher")
    old_refresh = ui.cookies[REFRESH_COOKIE]
    # The browser drops the access cookie when it expires (its max-age is the token's lifetime).
    ui.cookies.delete(ACCESS_COOKIE)

    page = await ui.get("/ui/profile")

    assert page.status_code == 200
    assert "refresher" in page.text
    renewed = set_cookies(page)
    assert ACCESS_COOKIE in renewed and REFRESH_COOKIE in renewed
    assert ui.cookies[REFRESH_COOKIE] != old_refresh
    # A garbled access token is refreshed the same way.
    ui.cookies.set(ACCESS_COOKIE, "not-a-token", domain="testserver.local", path="/ui")
    assert (await ui.get("/ui/leaderboard")).status_code == 200
    # The first refresh token was spent: presenting it again is a reuse, which ends the login
    # session everywhere (a stolen cookie is worth nothing once the learner has used it).
    reused = await client.post("/auth/refresh", json={"refresh_token": old_refresh})
    assert reused.status_code == 401
    ui.cookies.delete(ACCESS_COOKIE)
    signed_out = await ui.get("/ui")
    assert signed_out.status_code == 303
    assert "max-age=0" in set_cookies(signed_out)[REFRESH_COOKIE].lower()


async def test_sign_out_revokes_the_refresh_token_and_clears_the_cookies(
    ui: httpx.AsyncClient, sign_up: Callable[..., Any], client: httpx.AsyncClient
) -> None:
    await sign_up(ui, "leaver")
    refresh, access = ui.cookies[REFRESH_COOKIE], ui.cookies[ACCESS_COOKIE]

    answer = await ui.post("/ui/logout")

    assert answer.status_code == 303
    assert answer.headers["location"] == "/ui/login"
    cleared = set_cookies(answer)
    assert (
        'cc_access=""' in cleared[ACCESS_COOKIE] and "max-age=0" in cleared[ACCESS_COOKIE].lower()
    )
    assert (await client.post("/auth/refresh", json={"refresh_token": refresh})).status_code == 401
    me = await client.get("/auth/me", headers={"Authorization": f"Bearer {access}"})
    assert me.status_code == 401
    assert (await ui.get("/ui")).status_code == 303


async def test_forms_posted_from_another_site_are_refused(
    ui: httpx.AsyncClient, sign_up: Callable[..., Any]
) -> None:
    email = await sign_up(ui, "csrf")
    ui.cookies.clear()
    answer = await ui.post(
        "/ui/login",
        data={"email": email, "password": "correct horse battery"},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert answer.status_code == 403
    assert "accepted from its own pages only" in answer.text
    assert not set_cookies(answer)
    same = await ui.post(
        "/ui/login",
        data={"email": email, "password": "correct horse battery"},
        headers={"Sec-Fetch-Site": "same-origin"},
    )
    assert same.status_code == 303


async def test_admin_pages_need_the_admin_role(
    ui: httpx.AsyncClient, sign_up: Callable[..., Any]
) -> None:
    await sign_up(ui, "curious")
    for path in ("/ui/admin", "/ui/admin/challenges/new"):
        page = await ui.get(path)
        assert page.status_code == 403
        assert page.headers["content-type"].startswith("text/html")
        assert "Admin access required" in page.text
    created = await ui.post("/ui/admin/challenges", data={"title": "Sneaky"})
    assert created.status_code == 403
    assert ">Admin</a>" not in (await ui.get("/ui")).text


async def test_playing_shows_only_the_declared_input_and_never_the_answer_keys(
    ui: httpx.AsyncClient,
    sign_up: Callable[..., Any],
    start_session: Callable[..., Any],
    every_type: str,
    gm: Any,
) -> None:
    await sign_up(ui, "player")
    session_id = await start_session(ui, every_type)
    page_path = f"/ui/sessions/{session_id}"
    moves: list[tuple[str, str, dict[str, Any]]] = [
        ("continue", "action", {"action": "continue"}),
        ("radio", "answer", {"choice": "1"}),
        ("checkboxes", "answer", {"choices": ["0", "1", "3"]}),
        ("true_false", "answer", {"choice": "1"}),
        ("text", "answer", {"text": "Plants turn light into sugar, e.g. leaves."}),
    ]
    for expected, route, data in moves:
        page = await ui.get(page_path)
        assert page.status_code == 200
        assert widget_of(page.text) == expected
        assert inputs_shown(page.text) == {expected}
        for secret in SECRETS:
            assert secret not in page.text
        answer = await ui.post(f"{page_path}/{route}", data=data)
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"] == page_path

    done = await ui.get(page_path)
    assert widget_of(done.text) == "completed"
    assert not inputs_shown(done.text)
    assert "Challenge complete!" in done.text
    assert "100/100" in done.text
    assert "+150 XP" in done.text  # 100 for the challenge, 50 for the First Steps badge
    assert "New badge: <strong>First Steps</strong>" in done.text
    dashboard = await ui.get("/ui")
    assert re.search(r'data-stat="xp">150<', dashboard.text)
    assert re.search(r'data-stat="completed">1<', dashboard.text)


async def test_a_wrong_choice_keeps_the_step_and_a_bad_form_gets_a_clear_error(
    ui: httpx.AsyncClient,
    sign_up: Callable[..., Any],
    start_session: Callable[..., Any],
    every_type: str,
) -> None:
    await sign_up(ui, "wrong")
    session_id = await start_session(ui, every_type)
    path = f"/ui/sessions/{session_id}"
    await ui.post(f"{path}/action", data={"action": "continue"})

    await ui.post(f"{path}/answer", data={"choice": "0"})
    page = await ui.get(path)
    assert widget_of(page.text) == "radio"
    assert "Not quite. Try again." in page.text

    empty = await ui.post(f"{path}/answer", data={})
    assert empty.status_code == 422
    assert "Choose an answer first" in empty.text
    out_of_range = await ui.post(
        f"{path}/answer", data={"choice": "7"}, headers={"HX-Request": "true"}
    )
    assert out_of_range.status_code == 422
    assert out_of_range.json()["error"]["message"] == "Not one of the options"
    gate_only = await ui.post(f"{path}/action", data={"action": "continue"})
    assert gate_only.status_code == 409

    # The dashboard offers to resume the unfinished session, with its real progress.
    dashboard = (await ui.get("/ui")).text
    card = dashboard[dashboard.index(f'data-challenge="{every_type}"') :]
    card = card[: card.index("</article>")]
    assert f'href="{path}">Resume</a>' in card
    assert ">20%</span>" in card  # one step of five done
    assert "In progress" in card


async def test_error_pages_for_missing_and_foreign_sessions(
    ui: httpx.AsyncClient,
    sign_up: Callable[..., Any],
    start_session: Callable[..., Any],
    every_type: str,
    browser_client: httpx.AsyncClient,
) -> None:
    await sign_up(ui, "owner")
    session_id = await start_session(ui, every_type)
    missing = await ui.get("/ui/sessions/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404
    assert "Session not found" in missing.text
    assert missing.headers["content-type"].startswith("text/html")
    malformed = await ui.get("/ui/sessions/not-a-uuid")
    assert malformed.status_code == 422
    assert "session_id" in malformed.text

    ui.cookies.clear()
    await sign_up(ui, "intruder")
    foreign = await ui.get(f"/ui/sessions/{session_id}")
    assert foreign.status_code == 404


async def test_admin_creates_a_challenge_with_steps_through_the_forms(
    admin_ui: httpx.AsyncClient,
) -> None:
    ui = admin_ui
    bad = await ui.post("/ui/admin/challenges", data={"title": "", "xp_reward": "lots"})
    assert bad.status_code == 422
    assert "xp_reward" in bad.text

    created = await ui.post(
        "/ui/admin/challenges",
        data={
            "title": "Forms made",
            "description": "Made through the admin forms",
            "tags": "forms, admin",
            "difficulty": "intermediate",
            "challenge_type": "advanced",
            "estimated_time_minutes": "15",
            "xp_reward": "80",
            "passing_score": "60",
            "is_active": "1",
        },
    )
    assert created.status_code == 303
    editor_path = created.headers["location"]
    step_path = editor_path + "/steps"

    no_key = await ui.post(
        step_path,
        data={
            "step_type": "MCQ_SINGLE",
            "title": "Q",
            "instruction": "Pick",
            "option_0": "A",
            "option_1": "B",
        },
    )
    assert no_key.status_code == 422
    assert "Mark exactly one option as correct" in no_key.text
    bad_rubric = await ui.post(
        step_path,
        data={"step_type": "CHAT", "title": "Talk", "instruction": "Say", "rubric": "{nope"},
    )
    assert bad_rubric.status_code == 422
    assert "Rubric is not valid JSON" in bad_rubric.text

    for data in (
        {"step_type": "CONTINUE_GATE", "title": "Hello", "instruction": "Go on"},
        # Blank option rows are dropped and the correct mark follows its option.
        {
            "step_type": "MCQ_SINGLE",
            "title": "Pick one",
            "instruction": "Which?",
            "option_0": "Wrong",
            "option_2": "Right",
            "correct": "2",
            "points_possible": "10",
            "passing_threshold": "100",
        },
        {
            "step_type": "TRUE_FALSE",
            "title": "Truth",
            "instruction": "Sky is blue",
            "true_false": "0",
            "points_possible": "5",
        },
    ):
        added = await ui.post(step_path, data=data)
        assert added.status_code == 303, added.text

    detail = (await ui.get(editor_path)).text
    titles = re.findall(r"<strong>([^<]+)</strong> <small>", detail)
    assert titles == ["Hello", "Pick one", "Truth"]
    step_ids = re.findall(r'<li data-step="([0-9a-f-]{36})">', detail)
    moved = await ui.post(f"{step_path}/{step_ids[2]}/move", data={"direction": "up"})
    assert moved.status_code == 303
    detail = (await ui.get(editor_path)).text
    assert re.findall(r"<strong>([^<]+)</strong> <small>", detail) == ["Hello", "Truth", "Pick one"]

    edit = await ui.get(f"{step_path}/{step_ids[1]}")
    assert 'value="Right"' in edit.text
    assert re.search(r'name="correct" value="1"[^>]*checked', edit.text)

    confirm = await ui.get(editor_path + "/delete")
    assert "Delete “Forms made”?" in confirm.text
    deleted = await ui.post(editor_path + "/delete")
    assert deleted.status_code == 303
    assert (await ui.get(editor_path)).status_code == 404


async def test_links_and_cookies_follow_the_mount_prefix(
    cc_app: FastAPI, client: httpx.AsyncClient, sign_up: Callable[..., Any]
) -> None:
    outer = Starlette(routes=[Mount("/curiouscore", app=cc_app)])
    transport = httpx.ASGITransport(app=outer)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        login = await http.get("/curiouscore/ui/login")
        assert login.status_code == 200
        assert 'action="/curiouscore/ui/login"' in login.text
        for asset in re.findall(r'(?:src|href)="(/curiouscore/(?:ui/)?static/[^"]+)"', login.text):
            assert (await http.get(asset)).status_code == 200, asset
        assert not re.search(r'(?:src|href|action)="/(?!curiouscore/)', login.text)

        answer = await http.post(
            "/curiouscore/ui/register",
            data={"email": "mounted@example.org", "password": "long enough pw"},
        )
        assert answer.headers["location"] == "/curiouscore/ui"
        assert "path=/curiouscore/ui" in set_cookies(answer)[ACCESS_COOKIE].lower()
        home = await http.get("/curiouscore/ui")
        assert home.status_code == 200
        assert 'href="/curiouscore/ui/profile"' in home.text


async def test_production_cookies_are_secure(
    cc_database: str,
    settings_for: Callable[..., Any],
    client_for: Callable[..., Any],
    client: httpx.AsyncClient,  # production does not migrate: the test app did it
) -> None:
    app = build_app(settings_for(cc_database, environment="production"))
    async with client_for(app, base_url="https://testserver") as http:
        answer = await http.post(
            "/ui/register",
            data={"email": "secure-cookie@example.org", "password": "long enough pw"},
        )
        assert answer.status_code == 303, answer.text
        for header in set_cookies(answer).values():
            assert "; secure" in header.lower()


async def test_a_simple_challenge_shows_the_game_masters_input_without_its_answer_key(
    ui: httpx.AsyncClient,
    sign_up: Callable[..., Any],
    start_session: Callable[..., Any],
    client: httpx.AsyncClient,
    admin: dict[str, str],
    gm: Any,
) -> None:
    created = await client.post(
        "/admin/challenges",
        json={
            "title": "Lists, simply",
            "challenge_type": "simple",
            "xp_reward": 40,
            "passing_score": 50,
            "system_prompt": "SECRET-SYSTEM-PROMPT: teach {{title}}.",
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    metadata = {
        "questionType": "mcq",
        "options": ["[1, 2]", "(1, 2)", "{1, 2}"],
        "correctAnswer": 0,
    }
    gm.teach.extend(
        [
            f"Which literal is a list?\n<metadata>{json.dumps(metadata)}</metadata>",
            'Yes! Now: why?\n<metadata>{"questionType": "text", "scoreChange": 20}</metadata>',
        ]
    )
    await sign_up(ui, "simple")
    session_id = await start_session(ui, created.json()["id"])
    path = f"/ui/sessions/{session_id}"

    page = (await ui.get(path)).text
    assert widget_of(page) == "radio"
    assert inputs_shown(page) == {"radio"}
    assert "(1, 2)" in page and "Which literal is a list?" in page
    for secret in ("SECRET-SYSTEM-PROMPT", "correctAnswer", "<metadata>", "metadata"):
        assert secret not in page

    await ui.post(f"{path}/answer", data={"choice": "0"})
    page = (await ui.get(path)).text
    assert widget_of(page) == "text"
    assert inputs_shown(page) == {"text"}
    assert "Yes! Now: why?" in page
    assert re.search(r"data-score>20/40<", page)


async def test_a_refresh_during_a_failing_htmx_request_still_delivers_the_new_cookies(
    ui: httpx.AsyncClient,
    sign_up: Callable[..., Any],
    start_session: Callable[..., Any],
    every_type: str,
) -> None:
    await sign_up(ui, "htmx")
    session_id = await start_session(ui, every_type)
    old_refresh = ui.cookies[REFRESH_COOKIE]
    ui.cookies.delete(ACCESS_COOKIE)

    failed = await ui.post(
        f"/ui/sessions/{session_id}/answer", data={}, headers={"HX-Request": "true"}
    )

    assert failed.status_code == 409  # the gate takes no answer: the envelope, for a toast
    assert failed.json()["error"]["message"].startswith("This step takes no answer")
    assert REFRESH_COOKIE in set_cookies(failed)
    assert ui.cookies[REFRESH_COOKIE] != old_refresh
    # The rotated token reached the cookie jar, so the learner is still signed in.
    assert (await ui.get(f"/ui/sessions/{session_id}")).status_code == 200


async def test_a_session_created_through_the_api_is_started_from_its_page(
    ui: httpx.AsyncClient, sign_up: Callable[..., Any], every_type: str
) -> None:
    await sign_up(ui, "api-first")
    token = ui.cookies[ACCESS_COOKIE]
    created = await ui.post(
        "/sessions",
        json={"challenge_id": every_type},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert created.status_code == 201, created.text
    path = f"/ui/sessions/{created.json()['id']}"

    waiting = await ui.get(path)
    assert widget_of(waiting.text) == "none"
    assert "Start the challenge" in waiting.text
    assert (await ui.post(f"{path}/start")).status_code == 303
    assert widget_of((await ui.get(path)).text) == "continue"
    assert (await ui.post(f"{path}/start")).status_code == 409


async def test_admin_checks_a_prompt_and_test_runs_a_simple_challenge(
    admin_ui: httpx.AsyncClient, gm: Any
) -> None:
    ui = admin_ui
    created = await ui.post(
        "/ui/admin/challenges",
        data={
            "title": "Prompted",
            "challenge_type": "simple",
            "system_prompt": "Teach {{title}}.",
            "estimated_time_minutes": "10",
            "xp_reward": "30",
            "passing_score": "60",
            "is_active": "1",
        },
    )
    assert created.status_code == 303, created.text
    editor = created.headers["location"]

    check = await ui.post(editor + "/check-prompt")
    assert check.status_code == 200
    # Shorter than 100 characters: the heuristics' one "issue", so never "approve".
    assert re.search(r'data-recommendation="(reject|review)"', check.text)
    assert "Issue:" in check.text

    empty = await ui.post(editor + "/test-run", data={"test_message": "  "})
    assert empty.status_code == 422
    assert "Write a test message first" in empty.text
    gm.teach.append('Hello **there**.\n<metadata>{"questionType": "text"}</metadata>')
    run = await ui.post(editor + "/test-run", data={"test_message": "Hi"})
    assert run.status_code == 200
    assert "scripted/cc-gm · metadata found" in run.text
    assert "Hello **there**." in run.text  # rendered as Markdown in the browser
    assert gm.prompts[-1] == "Hi"
