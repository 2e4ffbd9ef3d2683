"""The dashboard's pages over HTTP: sign-in and its redirects, sessions and sign-out, GitHub
sign-in through a local server speaking GitHub's protocol, what an owner and another user see,
forms refused from other sites, error pages, aliases, jobs forms and the CSV export."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.routing import Mount

from modelforge.config import Settings
from modelforge.main import build_app
from servicekit.testing.app import app_client
from servicekit.testing.auth import GitHubAccount, LocalGitHub


async def ready_model(
    api: Any, client: httpx.AsyncClient, headers: dict[str, str], onnx: bytes, **extra: object
) -> dict[str, Any]:
    model = await api.create_model(client, headers, **extra)
    assert (await api.upload(client, headers, model["id"], onnx)).status_code == 200
    validated = await client.post(f"/api/v1/models/{model['id']}/validate", headers=headers)
    assert validated.status_code == 200, validated.text
    return model


# -- sign-in, redirects and sessions ---------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/ui", "/ui/models", "/ui/models/new", "/ui/jobs", "/ui/health", "/ui/jobs/new"]
)
async def test_pages_behind_sign_in_redirect_to_it_and_back(
    mf_client: httpx.AsyncClient, users: dict[str, dict[str, str]], path: str
) -> None:
    response = await mf_client.get(path + "?page=1")
    assert response.status_code == 303
    target = urlsplit(response.headers["location"])
    assert target.path == "/ui/login"
    assert parse_qs(target.query)["next"] == [path + "?page=1"]

    signed_in = await mf_client.post(
        "/ui/login",
        data={"login": "alice", "password": "alice-password-123", "next": path + "?page=1"},
    )
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == path + "?page=1"
    cookie = signed_in.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    page = await mf_client.get(path, follow_redirects=True)
    assert page.status_code == 200 and 'data-testid="signed-in-as"' in page.text


async def test_wrong_password_is_refused_on_the_sign_in_page(
    mf_client: httpx.AsyncClient, users: dict[str, dict[str, str]]
) -> None:
    response = await mf_client.post("/ui/login", data={"login": "alice", "password": "nope"})
    assert response.status_code == 401
    assert "wrong login or password" in response.text
    assert (await mf_client.get("/ui/models")).status_code == 303  # still signed out


@pytest.mark.parametrize(
    "unsafe", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"]
)
async def test_sign_in_never_returns_to_another_site(
    mf_client: httpx.AsyncClient, users: dict[str, dict[str, str]], unsafe: str
) -> None:
    response = await mf_client.post(
        "/ui/login", data={"login": "bob", "password": "bob-password-123", "next": unsafe}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/ui/models"


async def test_sign_up_with_a_local_account(
    mf_client: httpx.AsyncClient, users: dict[str, dict[str, str]]
) -> None:
    short = await mf_client.post("/ui/register", data={"login": "carol", "password": "short"})
    assert short.status_code == 422 and "password" in short.text
    taken = await mf_client.post(
        "/ui/register", data={"login": "alice", "password": "long-enough-password"}
    )
    assert taken.status_code == 409 and "taken" in taken.text
    created = await mf_client.post(
        "/ui/register",
        data={"login": "carol", "password": "long-enough-password", "next": "/ui/jobs"},
    )
    assert (created.status_code, created.headers["location"]) == (303, "/ui/jobs")
    assert "carol" in (await mf_client.get("/ui/jobs")).text


async def test_sign_out_ends_the_session_even_for_a_copied_cookie(
    browser_for: Any, mf_client: httpx.AsyncClient
) -> None:
    alice = await browser_for("alice")
    copied = dict(alice.cookies)
    assert (await alice.get("/ui/models")).status_code == 200
    out = await alice.post("/ui/logout")
    assert (out.status_code, out.headers["location"]) == (303, "/ui/login")
    assert (await alice.get("/ui/models")).status_code == 303
    async with httpx.AsyncClient(
        transport=mf_client._transport, base_url=mf_client.base_url, cookies=copied
    ) as thief:
        assert (await thief.get("/ui/models")).status_code == 303


async def test_htmx_polling_after_sign_out_redirects_the_page(mf_client: httpx.AsyncClient) -> None:
    response = await mf_client.get(
        "/ui/jobs",
        headers={
            "HX-Request": "true",
            "HX-Current-URL": "http://testserver/ui/jobs?status=running",
        },
    )
    assert response.status_code == 204
    target = urlsplit(response.headers["hx-redirect"])
    assert (target.path, parse_qs(target.query)["next"]) == (
        "/ui/login",
        ["/ui/jobs?status=running"],
    )


async def test_session_token_acts_for_the_browser_session(
    browser_for: Any, mf_client: httpx.AsyncClient
) -> None:
    alice = await browser_for("alice")
    token = (await alice.post("/ui/session/token")).json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    me = await mf_client.get("/api/v1/auth/me", headers=bearer)
    assert me.status_code == 200 and me.json()["login"] == "alice"
    await alice.post("/ui/logout")
    # Revoked with the session it belongs to.
    assert (await mf_client.get("/api/v1/auth/me", headers=bearer)).status_code == 401


@pytest.mark.parametrize("site", ["cross-site", "same-site"])
async def test_forms_from_other_origins_are_refused(
    browser_for: Any,
    api: Any,
    mf_client: httpx.AsyncClient,
    users: dict[str, dict[str, str]],
    classifier_onnx: bytes,
    site: str,
) -> None:
    model = await ready_model(api, mf_client, users["alice"], classifier_onnx)
    alice = await browser_for("alice")
    refused = await alice.post(f"/ui/models/{model['id']}/delete", headers={"Sec-Fetch-Site": site})
    assert refused.status_code == 403 and "own pages" in refused.text
    token = await alice.post("/ui/session/token", headers={"Sec-Fetch-Site": site})
    assert token.status_code == 403
    still = await mf_client.get(f"/api/v1/models/{model['id']}", headers=users["alice"])
    assert still.status_code == 200
    deleted = await alice.post(
        f"/ui/models/{model['id']}/delete", headers={"Sec-Fetch-Site": "same-origin"}
    )
    assert deleted.status_code == 303
    gone = await mf_client.get(f"/api/v1/models/{model['id']}", headers=users["alice"])
    assert gone.status_code == 404


# -- GitHub ------------------------------------------------------------------------------------


async def test_github_sign_in_returns_to_the_page_asked_for(
    mf_settings: Settings, github_oauth_server: LocalGitHub
) -> None:
    settings = mf_settings.model_copy(
        update={
            "github_id": github_oauth_server.client_id,
            "github_secret": SecretStr(github_oauth_server.client_secret),
        }
    )
    github_oauth_server.account = GitHubAccount(id=77, login="octo", name="Octo Cat")
    app = build_app(settings, github_endpoints=github_oauth_server.endpoints)
    async with app_client(app) as client, httpx.AsyncClient() as github:
        asked = await client.get("/ui/jobs")
        sign_in_page = await client.get(asked.headers["location"])
        assert "Sign in with GitHub" in sign_in_page.text
        start = await client.get("/ui/login/github", params={"next": "/ui/jobs"})
        to_api = await client.get(start.headers["location"])  # the API's GitHub login
        authorize = to_api.headers["location"]
        assert authorize.startswith(github_oauth_server.base_url)
        state = parse_qs(urlsplit(authorize).query)["state"][0]
        approved = await github.get(authorize)  # the real authlib client runs on the callback
        callback = urlsplit(approved.headers["location"])

        forged = await client.get(f"{callback.path}?code=x&state=not-{state}")
        assert forged.status_code == 400  # the state is checked

        # The forged attempt consumed nothing: start again and finish for real.
        start = await client.get("/ui/login/github", params={"next": "/ui/jobs"})
        authorize = (await client.get(start.headers["location"])).headers["location"]
        approved = await github.get(authorize)
        callback = urlsplit(approved.headers["location"])
        done = await client.get(f"{callback.path}?{callback.query}")
        assert (done.status_code, done.headers["location"]) == (303, "/ui/jobs")
        page = await client.get("/ui/jobs")
        assert page.status_code == 200 and "Octo Cat" in page.text


async def test_github_button_absent_without_configuration(mf_client: httpx.AsyncClient) -> None:
    page = await mf_client.get("/ui/login")
    assert page.status_code == 200 and "Sign in with GitHub" not in page.text
    assert (await mf_client.get("/ui/login/github")).status_code == 404


# -- models: owner, other users, errors --------------------------------------------------------


async def test_a_private_model_is_the_owners_only(
    browser_for: Any,
    api: Any,
    mf_client: httpx.AsyncClient,
    users: dict[str, dict[str, str]],
    classifier_onnx: bytes,
    regressor_onnx: bytes,
) -> None:
    private = await ready_model(api, mf_client, users["alice"], classifier_onnx, name="secret")
    public = await ready_model(
        api, mf_client, users["alice"], regressor_onnx, name="shared", visibility="public"
    )
    alice, bob = await browser_for("alice"), await browser_for("bob")

    own = await alice.get("/ui/models")
    assert private["id"] in own.text and public["id"] in own.text
    assert "Archive" in (await alice.get(f"/ui/models/{private['id']}")).text

    listed = await bob.get("/ui/models")
    assert private["id"] not in listed.text and "secret" not in listed.text
    assert public["id"] in listed.text
    for path in ("", "/predict", "/predictions", "/predictions.csv"):
        hidden = await bob.get(f"/ui/models/{private['id']}{path}")
        assert hidden.status_code == 404, path
        assert "Not found" in hidden.text and "text/html" in hidden.headers["content-type"]
    shared = await bob.get(f"/ui/models/{public['id']}")
    assert shared.status_code == 200 and "Archive" not in shared.text
    assert "Predict" in shared.text
    refused = await bob.post(f"/ui/models/{public['id']}/archive")
    assert refused.status_code == 403 and "owner" in refused.text
    history = await bob.get(f"/ui/models/{public['id']}/predictions")
    assert history.status_code == 403

    archived = await alice.post(f"/ui/models/{public['id']}/archive")
    assert archived.status_code == 303
    page = await alice.get(archived.headers["location"])
    assert 'data-status="warning">archived<' in page.text and "Predict</a>" not in page.text


async def test_model_list_filters_and_pages(
    browser_for: Any,
    api: Any,
    mf_client: httpx.AsyncClient,
    users: dict[str, dict[str, str]],
) -> None:
    for number in range(12):
        await api.create_model(mf_client, users["alice"], name=f"m{number:02d}")
    alice = await browser_for("alice")
    first = await alice.get("/ui/models", params={"status": "", "visibility": ""})
    assert first.status_code == 200 and first.text.count("data-model-id=") == 10
    assert "Page 1 of 2" in first.text
    second = await alice.get("/ui/models", params={"page": 2})
    assert second.text.count("data-model-id=") == 2
    named = await alice.get("/ui/models", params={"name": "m03"})
    assert named.text.count("data-model-id=") == 1 and "m03" in named.text
    ready = await alice.get("/ui/models", params={"status": "ready"})
    assert "No models match" in ready.text
    bad = await alice.get("/ui/models", params={"status": "bogus"})
    assert bad.status_code == 422 and "text/html" in bad.headers["content-type"]


async def test_unknown_model_is_an_html_404(browser_for: Any) -> None:
    alice = await browser_for("alice")
    missing = await alice.get("/ui/models/00000000-0000-0000-0000-000000000001")
    assert missing.status_code == 404 and "model not found" in missing.text
    malformed = await alice.get("/ui/models/not-a-uuid")
    assert malformed.status_code == 422 and "Check the request" in malformed.text


async def test_failed_validation_is_shown_on_the_model_page(
    browser_for: Any, api: Any, mf_client: httpx.AsyncClient, users: dict[str, dict[str, str]]
) -> None:
    model = await api.create_model(mf_client, users["alice"])
    # Starts like a protobuf ONNX file, but is not a loadable model.
    assert (
        await api.upload(mf_client, users["alice"], model["id"], b"\x08\x07" * 40)
    ).status_code == 200
    alice = await browser_for("alice")
    answer = await alice.post(f"/ui/models/{model['id']}/validate")
    assert answer.status_code == 303
    page = await alice.get(f"/ui/models/{model['id']}")
    assert 'id="validation-error"' in page.text and "Validation failed" in page.text
    assert 'data-status="failed">error<' in page.text


async def test_aliases_move_between_versions(
    browser_for: Any,
    api: Any,
    mf_client: httpx.AsyncClient,
    users: dict[str, dict[str, str]],
    classifier_onnx: bytes,
    regressor_onnx: bytes,
) -> None:
    one = await ready_model(api, mf_client, users["alice"], classifier_onnx, version="1.0.0")
    two = await ready_model(api, mf_client, users["alice"], regressor_onnx, version="2.0.0")
    alice = await browser_for("alice")
    for version in ("1.0.0", "2.0.0"):
        moved = await alice.post(
            f"/ui/models/{one['id']}/aliases", data={"alias": "production", "version": version}
        )
        assert moved.status_code == 303
        resolved = await mf_client.get(
            "/api/v1/models/by-name/churn/resolve",
            params={"alias": "production"},
            headers=users["alice"],
        )
        assert resolved.json()["version"] == version
    page = await alice.get(f"/ui/models/{two['id']}")
    assert 'data-alias="production"' in page.text and "2.0.0" in page.text
    bad = await alice.post(
        f"/ui/models/{one['id']}/aliases", data={"alias": "9 bad", "version": "1.0.0"}
    )
    assert bad.status_code == 422


async def test_predict_page_prefills_the_input_from_the_schema(
    browser_for: Any,
    api: Any,
    mf_client: httpx.AsyncClient,
    users: dict[str, dict[str, str]],
    classifier_onnx: bytes,
) -> None:
    model = await ready_model(api, mf_client, users["alice"], classifier_onnx)
    page = await (await browser_for("alice")).get(f"/ui/models/{model['id']}/predict")
    assert page.status_code == 200
    # skl2onnx names the input X, float32 [?, 4]: one row of four zeros.
    assert "<code>X</code>: float32 [?, 4]" in page.text
    editor = re.search(r'<textarea id="predict-input"[^>]*>(.*?)</textarea>', page.text, re.S)
    assert editor is not None
    assert json.loads(html.unescape(editor.group(1))) == {"X": [[0.0, 0.0, 0.0, 0.0]]}


# -- history and CSV -----------------------------------------------------------------------------


async def test_history_and_csv_export(
    browser_for: Any,
    api: Any,
    mf_client: httpx.AsyncClient,
    users: dict[str, dict[str, str]],
    classifier_onnx: bytes,
) -> None:
    model = await ready_model(api, mf_client, users["alice"], classifier_onnx, name="=cmd")
    for skip in (False, False, True):
        predicted = await mf_client.post(
            f"/api/v1/models/{model['id']}/predict",
            json={"input_data": {"X": [[1, 2, 3, 4]]}, "skip_cache": skip},
            headers=users["alice"],
        )
        assert predicted.status_code == 201
    alice = await browser_for("alice")
    history = await alice.get(f"/ui/models/{model['id']}/predictions")
    assert "3 predictions" in history.text
    assert history.text.count("<td>yes</td>") == 1  # the second was a cache hit

    exported = await alice.get(f"/ui/models/{model['id']}/predictions.csv")
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    assert 'filename="predictions-cmd-' in exported.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(rows) == 3
    assert sorted(row["cached"] for row in rows) == ["false", "false", "true"]
    assert all(row["model_id"] == model["id"] for row in rows)


# -- jobs ----------------------------------------------------------------------------------------


async def test_job_form_refuses_bad_input_with_reasons(
    browser_for: Any,
    api: Any,
    mf_client: httpx.AsyncClient,
    users: dict[str, dict[str, str]],
    classifier_onnx: bytes,
) -> None:
    model = await ready_model(api, mf_client, users["alice"], classifier_onnx)
    alice = await browser_for("alice")
    form = {"model_id": model["id"], "priority": "normal", "mode": "single"}
    not_json = await alice.post("/ui/jobs", data={**form, "input_json": "{oops"})
    assert not_json.status_code == 422 and "not JSON" in not_json.text
    wrong = await alice.post("/ui/jobs", data={**form, "input_json": '{"Y": [[1]]}'})
    assert wrong.status_code == 422 and 'id="job-error"' in wrong.text
    no_file = await alice.post("/ui/jobs", data={**form, "mode": "batch"})
    assert no_file.status_code == 422 and "JSON Lines" in no_file.text
    bad_line = await alice.post(
        "/ui/jobs",
        data={**form, "mode": "batch"},
        files={"batch_file": ("b.jsonl", b'{"X": [[1, 2, 3, 4]]}\n[1]\n', "application/x-ndjson")},
    )
    assert bad_line.status_code == 422 and "line 2" in bad_line.text


async def test_jobs_created_from_the_form_show_on_the_list(
    browser_for: Any,
    api: Any,
    mf_client: httpx.AsyncClient,
    users: dict[str, dict[str, str]],
    classifier_onnx: bytes,
) -> None:
    model = await ready_model(api, mf_client, users["alice"], classifier_onnx)
    alice, bob = await browser_for("alice"), await browser_for("bob")
    created = await alice.post(
        "/ui/jobs",
        data={"model_id": model["id"], "priority": "high", "mode": "batch"},
        files={
            "batch_file": (
                "b.jsonl",
                b'{"X": [[1, 2, 3, 4]]}\n\n{"X": [[0, 0, 0, 1]]}\n',
                "text/plain",
            )
        },
    )
    assert created.status_code == 303
    job_path = created.headers["location"]
    job_id = job_path.rsplit("/", 1)[1]
    api_job = await mf_client.get(f"/api/v1/jobs/{job_id}", headers=users["alice"])
    assert api_job.json()["input_data"] == [{"X": [[1, 2, 3, 4]]}, {"X": [[0, 0, 0, 1]]}]
    assert api_job.json()["priority"] == "high"

    listed = await alice.get("/ui/jobs")
    assert job_id in listed.text and 'hx-trigger="every 2s"' in listed.text  # in flight: polls
    panel = await alice.get(job_path, headers={"HX-Request": "true"})
    assert panel.text.lstrip().startswith('<section id="job-panel"') and "every 1s" in panel.text
    assert (await bob.get(job_path)).status_code == 404
    assert job_id not in (await bob.get("/ui/jobs")).text

    refused = await alice.post(f"{job_path}/delete")  # still queued: no worker runs here
    assert refused.status_code == 400
    cancelled = await alice.post(f"{job_path}/cancel")
    assert cancelled.status_code == 303
    page = await alice.get(job_path)
    assert 'data-status="warning">cancelled<' in page.text and "every 1s" not in page.text
    assert (await alice.post(f"{job_path}/delete")).status_code == 303
    assert (await alice.get(job_path)).status_code == 404


async def test_health_page_details_are_for_admins(browser_for: Any) -> None:
    admin, alice = await browser_for("admin"), await browser_for("alice")
    shown = await admin.get("/ui/health")
    assert shown.status_code == 200
    assert 'id="cache-hit-rate"' in shown.text and "connected" in shown.text
    limited = await alice.get("/ui/health")
    assert "shown to administrators" in limited.text and 'id="cache-hit-rate"' not in limited.text
    panel = await admin.get("/ui/health", headers={"HX-Request": "true"})
    assert panel.text.lstrip().startswith('<section id="health-panel"')


async def test_pages_work_mounted_under_a_prefix(
    mf_settings: Settings,
) -> None:
    """As ``suite up`` mounts it: every link, redirect and asset keeps the ``/modelforge``."""
    forge_app = build_app(mf_settings)
    parent = Starlette(routes=[Mount("/modelforge", app=forge_app)])
    transport = httpx.ASGITransport(app=parent)
    async with (
        forge_app.router.lifespan_context(forge_app),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
    ):
        asked = await client.get("/modelforge/ui/models")
        assert asked.headers["location"] == "/modelforge/ui/login?next=%2Fmodelforge%2Fui%2Fmodels"
        form = await client.get(asked.headers["location"])
        assert 'action="/modelforge/ui/register"' in form.text
        assert "/modelforge/static/kit/kit.css" in form.text
        assert "/modelforge/ui/static/modelforge.js" in form.text
        registered = await client.post(
            "/modelforge/ui/register",
            data={
                "login": "root",
                "password": "root-password-123",
                "next": "/modelforge/ui/models",
            },
        )
        assert registered.headers["location"] == "/modelforge/ui/models"
        token = (await client.post("/modelforge/ui/session/token")).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        created = await client.post(
            "/modelforge/api/v1/models", json={"name": "churn"}, headers=headers
        )
        model_id = created.json()["id"]
        page = await client.get("/modelforge/ui/models/new")
        assert 'data-create-url="/modelforge/api/v1/models"' in page.text
        listed = await client.get("/modelforge/ui/models")
        assert f'href="/modelforge/ui/models/{model_id}"' in listed.text
        assert (await client.get("/modelforge/static/kit/kit.css")).status_code == 200
