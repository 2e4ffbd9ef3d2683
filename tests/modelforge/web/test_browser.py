"""The dashboard in Debian's Chromium against ModelForge served for real, with a real Celery
worker: GitHub sign-in through a local server speaking GitHub's OAuth protocol (the real authlib
client runs), an ONNX model made here uploaded by drag and drop with its progress bar, a failed
validation shown as a failure, predictions with a cache miss then a hit, the production alias
moved to a new version, a job run to completion, the live health page, sign-out; and a second
user who cannot see the first user's private model.

Screenshots go to ``SCREENSHOT_DIR`` (default ``test-artifacts/screenshots``) as
``modelforge-*.png``.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
from onnx import numpy_helper
from playwright.async_api import Browser, Page, expect
from pydantic import SecretStr
from skl2onnx import to_onnx
from sklearn.linear_model import LogisticRegression

from modelforge.config import Settings
from modelforge.jobs.router import celery_client
from modelforge.main import build_app
from servicekit.testing.auth import LocalGitHub
from servicekit.testing.browser import DESKTOP_VIEWPORT, JavaScriptErrors, screenshot
from servicekit.testing.jobs import worker_pool

pytestmark = pytest.mark.browser

JOB_TIMEOUT_MS = 45_000
# The browser logs every 4xx answer as a console error; these are the ones provoked on purpose.
EXPECTED_FAILURES = r"status of (404|422)"
AVATAR_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="28" height="28">'
    '<circle cx="14" cy="14" r="14"/></svg>'
)


def classifier(seed: int, *, padding_floats: int = 0) -> bytes:
    """A scikit-learn logistic regression (input ``X``: float [?, 4]) converted with skl2onnx;
    ``padding_floats`` adds an unused initializer so that the upload takes several chunks."""
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(40, 4)).astype(np.float32)
    labels = (features[:, 0] + features[:, 1] > 0).astype(np.int64)
    model = to_onnx(
        LogisticRegression().fit(features, labels), features[:1], options={"zipmap": False}
    )
    if padding_floats:
        padding = rng.normal(size=padding_floats).astype(np.float32)
        model.graph.initializer.append(numpy_helper.from_array(padding, name="padding"))
    onnx.checker.check_model(model)
    return model.SerializeToString()


@pytest.fixture
def github() -> Iterator[LocalGitHub]:
    with LocalGitHub() as server:
        yield server


@pytest.fixture
def forge_settings(mf_settings: Settings, github: LocalGitHub) -> Settings:
    """The ModelForge tests' settings, with GitHub sign-in through the local GitHub."""
    return mf_settings.model_copy(
        update={"github_id": github.client_id, "github_secret": SecretStr(github.client_secret)}
    )


@pytest.fixture
def forge_url(
    forge_settings: Settings, github: LocalGitHub, live_server: Callable[[Any], str]
) -> str:
    return live_server(build_app(forge_settings, github_endpoints=github.endpoints))


@pytest.fixture
def worker(forge_settings: Settings, tmp_path: Path) -> Iterator[None]:
    """One Celery worker started as the guide says (``celery -A modelforge.worker``)."""
    assert forge_settings.database_url and forge_settings.redis_url
    env = {
        "DATABASE_URL": forge_settings.database_url,
        "REDIS_URL": forge_settings.redis_url,
        "MODEL_STORAGE_PATH": str(forge_settings.storage_path),
        "ENVIRONMENT": "development",
    }
    celery = celery_client(forge_settings.redis_url)
    (tmp_path / "workers").mkdir()
    with worker_pool(tmp_path / "workers") as pool:
        started = pool.start(celery, "modelforge.worker", queues=[], concurrency=1, env=env)
        started.wait_ready(celery)
        yield


async def drop_file(page: Page, selector: str, name: str, content: bytes) -> None:
    """Drop a file on ``selector`` as a user dragging it from their desktop would."""
    transfer = await page.evaluate_handle(
        """([name, data]) => {
            const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name, { type: "application/octet-stream" }));
            return transfer;
        }""",
        [name, base64.b64encode(content).decode()],
    )
    await page.dispatch_event(selector, "dragover", {"dataTransfer": transfer})
    await page.dispatch_event(selector, "drop", {"dataTransfer": transfer})


async def upload(page: Page, base_url: str, content: bytes, *, name: str, version: str) -> None:
    await page.goto(f"{base_url}/ui/models/new")
    await drop_file(page, "#drop-zone", f"{name}.onnx", content)
    await expect(page.locator("#chosen-file")).to_contain_text(f"{name}.onnx")
    await expect(page.get_by_label("Name")).to_have_value(name)  # from the file name
    await page.get_by_label("Version").fill(version)
    await page.get_by_role("button", name="Upload and validate").click()


async def test_owner_uploads_predicts_moves_an_alias_and_runs_a_job(
    page: Page,
    browser: Browser,
    js_errors: JavaScriptErrors,
    forge_url: str,
    worker: None,
) -> None:
    js_errors.allow(EXPECTED_FAILURES)
    # GitHub's avatar CDN cannot be reached from here: the browser gets a stand-in picture.
    await page.route(
        "https://avatars.githubusercontent.com/**",
        lambda route: route.fulfill(status=200, content_type="image/svg+xml", body=AVATAR_SVG),
    )

    # Sign in with GitHub: the page asked for comes back after the OAuth round trip.
    await page.goto(f"{forge_url}/ui/models")
    await expect(page).to_have_url(re.compile(r"/ui/login\?next=%2Fui%2Fmodels$"))
    await screenshot(page, "modelforge-sign-in")
    await page.get_by_role("button", name="Sign in with GitHub").click()
    await expect(page).to_have_url(f"{forge_url}/ui/models")
    await expect(page.get_by_test_id("signed-in-as")).to_have_text("The Octocat")

    # Upload by drag and drop: a real progress bar, then validation.
    content = classifier(1, padding_floats=1_500_000)  # about 6 MB: several progress events
    await upload(page, forge_url, content, name="churn", version="1.0.0")
    await expect(page.locator("#upload-result .success")).to_contain_text("ready for predictions")
    bar = page.locator("#upload-progress")
    await expect(bar).to_have_js_property("value", 100)
    assert int(await bar.get_attribute("data-progress-events") or 0) >= 1
    await screenshot(page, "modelforge-upload")

    # A file that is not a loadable model: the validation failure is shown as a failure.
    await upload(page, forge_url, b"\x08\x07" * 64, name="broken", version="1.0.0")
    failure = page.locator("#upload-result .failure")
    await expect(failure).to_contain_text("Validation failed")
    await screenshot(page, "modelforge-upload-failed")
    await page.locator("#open-model").click()
    await expect(page.locator("#validation-error")).to_be_visible()

    # The model page: schemas, then predict.
    await page.goto(f"{forge_url}/ui/models?name=churn")
    await page.get_by_role("link", name="churn").click()
    model_url = page.url
    await expect(page.locator("#input-schema")).to_contain_text('"X"')
    await screenshot(page, "modelforge-model")
    await page.get_by_role("button", name="Predict", exact=True).click()

    editor = page.locator("#predict-input")
    predict = page.get_by_role("button", name="Predict")
    await expect(predict).to_be_enabled()  # the pre-filled sample fits the schema
    await editor.fill('{"X": [[1, 2, 3]]}')
    await expect(page.locator("#predict-problems")).to_contain_text("axis 1 is 3")
    await expect(predict).to_be_disabled()
    await editor.fill('{"X": [[1, 2, 3, "4"]]}')
    await expect(page.locator("#predict-problems")).to_contain_text("numbers only")
    await editor.fill('{"X": [[1, 2, 3, 4]]}')
    await expect(page.locator("#predict-problems li")).to_have_count(0)

    await predict.click()
    await expect(page.locator("#cache-badge")).to_have_text("MISS")
    await expect(page.locator("#inference-ms")).to_contain_text("ms")
    await expect(page.locator("#prediction-output")).to_contain_text("probabilities")
    first_id = await page.locator("#prediction-id").text_content()
    await predict.click()
    await expect(page.locator("#prediction-id")).not_to_have_text(first_id or "")
    await expect(page.locator("#cache-badge")).to_have_text("HIT")
    await screenshot(page, "modelforge-predict")
    await page.get_by_label("Skip cache").check()
    await predict.click()
    await expect(page.locator("#cache-badge")).to_have_text("BYPASS")

    await page.get_by_role("link", name="Prediction history").click()
    await expect(page.locator("#history tbody tr")).to_have_count(3)
    await expect(page.get_by_role("button", name="Export CSV")).to_be_visible()

    # A second version, and the production alias moved from 1.0.0 to it.
    await page.goto(model_url)
    await page.get_by_role("button", name="Point alias here").click()
    await expect(page.locator('#aliases [data-alias="production"]')).to_contain_text("1.0.0")
    await upload(page, forge_url, classifier(2), name="churn", version="2.0.0")
    await expect(page.locator("#upload-result .success")).to_be_visible()
    await page.goto(model_url)
    await page.locator(".alias-form select[name=version]").select_option("2.0.0")
    await page.get_by_role("button", name="Point alias here").click()
    await expect(page.locator('#aliases [data-alias="production"]')).to_contain_text("2.0.0")
    await expect(page.locator("#versions tbody tr")).to_have_count(2)
    await screenshot(page, "modelforge-aliases")

    # A job from the UI, run by the Celery worker, followed live to completion.
    await page.get_by_role("button", name="New job").click()
    await page.get_by_label("Input JSON").fill('{"X": [[0.5, 0.5, 0.1, 0.2]]}')
    await page.get_by_role("button", name="Start job").click()
    await expect(page).to_have_url(re.compile(r"/ui/jobs/[0-9a-f-]{36}$"))
    await expect(page.locator("#job-status")).to_have_text("completed", timeout=JOB_TIMEOUT_MS)
    await expect(page.locator("#job-output")).to_contain_text("probabilities")
    await expect(page.locator("#job-inference")).to_contain_text("ms")
    await screenshot(page, "modelforge-job")
    await page.get_by_role("link", name="All jobs").click()
    await expect(page.locator("#jobs-table tbody tr")).to_have_count(1)
    page.on("dialog", lambda dialog: dialog.accept())
    await page.get_by_role("button", name="Delete").click()
    await expect(page.locator("#jobs-table")).to_contain_text("No jobs")

    # Health, refreshed live: the worker, and the cache's hit rate (the HIT above counts).
    await page.get_by_role("link", name="Health").click()
    await expect(page.locator("#health-database")).to_contain_text("connected")
    await expect(page.locator("#health-celery")).to_contain_text("connected")
    await expect(page.locator("#cache-hit-rate")).to_have_text(re.compile(r"^[1-9][\d.]*%$"))
    await screenshot(page, "modelforge-health")
    checked = page.locator("#health-panel small")
    first_check = await checked.text_content()
    await expect(checked).not_to_have_text(first_check or "", timeout=15_000)  # refreshed in place

    # A second user (a local account) cannot see the first user's private model.
    other = await browser.new_context(viewport=DESKTOP_VIEWPORT)
    try:
        second = await other.new_page()
        js_errors.watch(second)
        await second.goto(model_url)
        await second.get_by_text("No account yet?").click()
        await second.get_by_label("New login").fill("bob")
        await second.get_by_label("New password").fill("bob-password-123")
        await second.get_by_role("button", name="Create account").click()
        await expect(second.get_by_role("heading", name="Not found")).to_be_visible()
        await second.goto(f"{forge_url}/ui/models")
        await expect(second.locator("body")).not_to_contain_text("churn")
        await screenshot(second, "modelforge-other-user")
    finally:
        await other.close()

    # Sign out: the pages ask for sign-in again.
    await page.get_by_role("button", name="Sign out").click()
    await expect(page).to_have_url(f"{forge_url}/ui/login")
    await page.goto(model_url)
    await expect(page).to_have_url(re.compile(r"/ui/login\?next="))
