"""Who may call what, checked on every route the app serves (read from its OpenAPI schema), so
a route added later without its guard fails here."""

from __future__ import annotations

import re
import time
import uuid

import jwt

PUBLIC = {
    ("GET", "/health"),
    ("GET", "/ready"),
    ("GET", "/livez"),
    ("POST", "/auth/register"),
    ("POST", "/auth/login"),
    ("POST", "/auth/refresh"),
    ("GET", "/challenges"),
    ("GET", "/challenges/{challenge_id}"),
    ("GET", "/badges"),
}
_PARAMETER = re.compile(r"\{[^}]+\}")


def routes(app) -> list[tuple[str, str]]:
    """(method, path template) of every operation in the app's schema."""
    return sorted(
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    )


def concrete(path: str) -> str:
    return _PARAMETER.sub(lambda _: str(uuid.uuid4()), path)


async def test_every_admin_route_refuses_anonymous_and_learners(
    cc_app, client, register, admin
) -> None:
    learner = await register()
    guarded = [(m, p) for m, p in routes(cc_app) if p.startswith("/admin")]
    assert len(guarded) >= 20
    for method, template in guarded:
        path = concrete(template)
        anonymous = await client.request(method, path, json={})
        assert anonymous.status_code == 401, (method, template)
        assert anonymous.json()["detail"] == "Not authenticated"
        forged = await client.request(
            method, path, json={}, headers={"Authorization": "Bearer junk"}
        )
        assert forged.status_code == 401, (method, template)
        refused = await client.request(method, path, json={}, headers=learner)
        assert refused.status_code == 403, (method, template)
        assert refused.json()["detail"] == "Admin access required"
        allowed = await client.request(method, path, json={}, headers=admin)
        assert allowed.status_code not in (401, 403), (method, template)


async def test_every_other_route_needs_a_token(cc_app, client) -> None:
    private = [
        (m, p) for m, p in routes(cc_app) if (m, p) not in PUBLIC and not p.startswith("/admin")
    ]
    assert ("POST", "/chat") in private and ("GET", "/dashboard") in private
    for method, template in private:
        answer = await client.request(method, concrete(template), json={})
        assert answer.status_code == 401, (method, template)


async def test_expired_or_foreign_tokens_are_refused(client, core, register) -> None:
    headers = await register()
    me = (await client.get("/auth/me", headers=headers)).json()
    token = headers["Authorization"].removeprefix("Bearer ")
    claims = jwt.decode(token, options={"verify_signature": False})
    secret = core.settings.token_settings().secret.get_secret_value()
    now = int(time.time())
    expired = jwt.encode({**claims, "iat": now - 3600, "exp": now - 1800}, secret, "HS256")
    other_secret = "a different service's signing secret"
    foreign = jwt.encode({**claims, "role": "admin"}, other_secret, "HS256")
    for bad in (expired, foreign):
        answer = await client.get("/auth/me", headers={"Authorization": f"Bearer {bad}"})
        assert answer.status_code == 401, answer.text
    # The genuine token still works: the refusals above were about the tokens, not the user.
    assert (await client.get("/auth/me", headers=headers)).json()["id"] == me["id"]
