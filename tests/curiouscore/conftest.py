"""CuriousCore on a real PostgreSQL with a scripted Game Master (the one LLM double).

One database and one app serve the whole test session; every test registers its own users, so
tests never see each other's sessions (which is also what authorization must guarantee).
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from curiouscore.config import Settings
from curiouscore.main import build_app
from curiouscore.play.game_master import COACH_SYSTEM, GM_SYSTEM, HINT_SYSTEM, LEM_SYSTEM
from curiouscore.runtime import CuriousCore
from servicekit.llm import LLMError, install_script, remove_script
from servicekit.llm.types import Message
from servicekit.testing.app import app_client

PASSWORD = "correct horse battery"
_POINTS = re.compile(r"score out of (\d+) points")


@dataclass
class ScriptedGameMaster:
    """Answers like the real roles would; tests queue LEM scores, teaching turns or failures.

    A queued item is an int (LEM raw score), a dict (LEM JSON), a str (text reply), an
    ``LLMError`` (raised, as a provider failure), ``"slow"`` (never answers in time) or an
    ``asyncio.Barrier`` (answers once that many calls are waiting).
    """

    lem: deque[Any] = field(default_factory=deque)
    teach: deque[Any] = field(default_factory=deque)
    narration: deque[Any] = field(default_factory=deque)
    hints: deque[Any] = field(default_factory=deque)
    calls: list[str] = field(default_factory=list)
    prompts: list[str] = field(default_factory=list)
    """The last user message of each call, for assertions on what a role was told."""
    conversations: list[list[Message]] = field(default_factory=list)
    """Every call's whole message list (system prompt and history included)."""

    def reset(self) -> None:
        for queue in (self.lem, self.teach, self.narration, self.hints):
            queue.clear()
        self.calls.clear()
        self.prompts.clear()
        self.conversations.clear()

    async def __call__(self, messages: list[Message]) -> Any:
        system = messages[0]["content"]
        if system == GM_SYSTEM:
            role, queue = "narrate", self.narration
        elif system == LEM_SYSTEM:
            role, queue = "evaluate", self.lem
        elif system == HINT_SYSTEM:
            role, queue = "hint", self.hints
        elif system == COACH_SYSTEM:
            role, queue = "coach", deque()
        else:
            role, queue = "teach", self.teach
        self.calls.append(role)
        self.prompts.append(messages[-1]["content"])
        self.conversations.append(list(messages))
        item = queue.popleft() if queue else None
        if item == "slow":
            await asyncio.sleep(60)  # cancelled by the LLM timeout
        if isinstance(item, asyncio.Barrier):  # hold concurrent requests until all arrive
            await item.wait()
            item = None
        if isinstance(item, LLMError):
            raise item
        if role == "evaluate":
            if isinstance(item, dict):
                return item
            points = int(_POINTS.search(messages[1]["content"]).group(1))
            score = points if item is None else item
            return {
                "raw_score": score,
                "rationale": f"You scored {score}: clear and specific.",
                "criteria_scores": {},
                "passed": True,
            }
        if item is not None:
            return item
        if role == "narrate":
            return "The Game Master welcomes you to this step."
        if role == "hint":
            return "What does each option have in common?"
        if role == "coach":
            return "Focus on what the step asks; try explaining it in one sentence."
        return 'Tell me more.<metadata>{"questionType": "text"}</metadata>'


@pytest.fixture(scope="session")
def scripted_gm() -> Any:
    gm = ScriptedGameMaster()
    install_script("cc-gm", gm)
    yield gm
    remove_script("cc-gm")


@pytest.fixture
def gm(scripted_gm: ScriptedGameMaster) -> ScriptedGameMaster:
    scripted_gm.reset()
    yield scripted_gm
    scripted_gm.reset()


def make_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "secret_key": "curiouscore-test-secret-0123456789abcdef",
        "default_llm_provider": "scripted",
        "default_llm_model": "cc-gm",
        "llm_timeout_seconds": 2.0,
        "llm_max_retries": 0,
        "auth_rate_limit": "10000/minute",
        "llm_max_requests_per_minute": 10000,
        "llm_max_requests_per_day": 100000,
        "cors_origins": "http://localhost:8080",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@pytest.fixture(scope="session")
def settings_for(scripted_gm: ScriptedGameMaster) -> Callable[..., Settings]:
    """``settings_for(url, **overrides)``: the test settings for another app on a database."""
    return make_settings


@pytest.fixture(scope="session")
def cc_database(make_database: Callable[[str], str]) -> str:
    return make_database("curiouscore")


@pytest.fixture(scope="session")
def cc_app(cc_database: str, scripted_gm: ScriptedGameMaster) -> FastAPI:
    return build_app(make_settings(cc_database))


@pytest.fixture(scope="session")
async def client(cc_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(cc_app) as http:
        yield http


@pytest.fixture(scope="session")
def core(cc_app: FastAPI, client: httpx.AsyncClient) -> CuriousCore:
    return cc_app.state.curiouscore


Register = Callable[..., Any]


@pytest.fixture
def register(client: httpx.AsyncClient) -> Register:
    """``headers = await register()``: a fresh learner's bearer headers."""

    async def make(name: str = "learner") -> dict[str, str]:
        email = f"{name}-{uuid.uuid4().hex[:8]}@example.com"
        answer = await client.post(
            "/auth/register", json={"email": email, "password": PASSWORD, "username": name}
        )
        assert answer.status_code == 201, answer.text
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    return make


@pytest.fixture(scope="session")
async def admin(client: httpx.AsyncClient, core: CuriousCore) -> dict[str, str]:
    await core.accounts.create_admin("admin@example.com", PASSWORD, "admin")
    answer = await client.post(
        "/auth/login", json={"email": "admin@example.com", "password": PASSWORD}
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


RUBRIC = {
    "criteria": {
        "idea": {"description": "States the main idea", "points": 25},
        "example": {"description": "Gives an example", "points": 15},
    }
}

EVERY_TYPE_STEPS = [
    {"step_type": "CONTINUE_GATE", "title": "Welcome", "instruction": "Press continue."},
    {
        "step_type": "MCQ_SINGLE",
        "title": "Pick",
        "instruction": "Which is a fruit?",
        "options": ["Carrot", "Apple", "Potato"],
        "correct_answer": 1,
        "points_possible": 20,
        "passing_threshold": 100,
    },
    {
        "step_type": "MCQ_MULTI",
        "title": "Many",
        "instruction": "Which are prime?",
        "options": ["2", "3", "4", "5", "6"],
        "correct_answers": [0, 1, 3],
        "points_possible": 30,
        "passing_threshold": 66,
    },
    {
        "step_type": "TRUE_FALSE",
        "title": "TF",
        "instruction": "The sun is cold.",
        "correct_answer": 1,
        "points_possible": 10,
    },
    {
        "step_type": "CHAT",
        "title": "Explain",
        "instruction": "Explain photosynthesis.",
        "rubric": RUBRIC,
        "points_possible": 40,
        "passing_threshold": 60,
        "gm_context": "SECRET-GM-CONTEXT",
    },
]


async def create_challenge(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    steps: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> str:
    body = {
        "title": f"Every type {uuid.uuid4().hex[:6]}",
        "description": "All step types",
        "challenge_type": "advanced",
        "xp_reward": 100,
        "passing_score": 70,
        "system_prompt": "SECRET-SYSTEM-PROMPT",
        **fields,
    }
    created = await client.post("/admin/challenges", json=body, headers=admin)
    assert created.status_code == 201, created.text
    challenge_id = created.json()["id"]
    for step in EVERY_TYPE_STEPS if steps is None else steps:
        added = await client.post(
            f"/admin/challenges/{challenge_id}/steps", json=step, headers=admin
        )
        assert added.status_code == 201, added.text
    return challenge_id


@pytest.fixture
async def every_type(client: httpx.AsyncClient, admin: dict[str, str]) -> str:
    """A fresh challenge: gate, MCQ 20 (100%), MULTI 30 (66%), TF 10, CHAT 40 (60%); pass 70."""
    return await create_challenge(client, admin)


@pytest.fixture
def play(client: httpx.AsyncClient) -> Callable[..., Any]:
    """``await play(headers, "POST", "/sessions/.../attempt", {"answer": 1})`` -> 2xx JSON."""

    async def call(
        headers: dict[str, str], method: str, path: str, body: Any = None, status: int = 200
    ) -> Any:
        answer = await client.request(method, path, json=body, headers=headers)
        assert answer.status_code == status, answer.text
        return answer.json() if answer.content else None

    return call


@pytest.fixture
def open_session(play: Callable[..., Any]) -> Callable[..., Any]:
    """``sid = await open_session(headers, challenge_id, steps=1)``: created, started, and
    ``steps`` gates passed with continue (0: left at the first step)."""

    async def make(headers: dict[str, str], challenge_id: str, *, steps: int = 1) -> str:
        created = await play(
            headers, "POST", "/sessions", {"challenge_id": challenge_id}, status=201
        )
        sid = created["id"]
        await play(headers, "POST", f"/sessions/{sid}/start")
        for _ in range(steps):
            await play(headers, "POST", f"/sessions/{sid}/action", {"action": "continue"})
        return sid

    return make


@pytest.fixture(scope="session")
async def every_type_for_fuzz(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> tuple[str, str, dict[str, str]]:
    """(challenge id, a started session at its MCQ step, its learner's headers), shared."""
    challenge_id = await create_challenge(client, admin)
    email = f"fuzz-{uuid.uuid4().hex[:8]}@example.com"
    tokens = await client.post("/auth/register", json={"email": email, "password": PASSWORD})
    headers = {"Authorization": f"Bearer {tokens.json()['access_token']}"}
    created = await client.post("/sessions", json={"challenge_id": challenge_id}, headers=headers)
    session_id = created.json()["id"]
    await client.post(f"/sessions/{session_id}/start", headers=headers)
    await client.post(
        f"/sessions/{session_id}/action", json={"action": "continue"}, headers=headers
    )
    return challenge_id, session_id, headers
