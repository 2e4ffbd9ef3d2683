"""Where a sign-in may send the browser back to: only paths on this site."""

from __future__ import annotations

import pytest

from modelforge.identity.browser import safe_return_path

DEFAULT = "/ui/models"


@pytest.mark.parametrize(
    "path", ["/ui/jobs", "/ui/models?page=2&status=ready", "/modelforge/ui/models/abc"]
)
def test_paths_on_this_site_are_kept(path: str) -> None:
    assert safe_return_path(path, DEFAULT) == path


@pytest.mark.parametrize(
    "candidate",
    [
        None,
        "",
        "https://evil.example/ui",
        "//evil.example/ui",
        "/\\evil.example",
        "javascript:alert(1)",
        "ui/models",
        "/ui\r\nSet-Cookie: x=1",
    ],
)
def test_anything_else_falls_back(candidate: str | None) -> None:
    assert safe_return_path(candidate, DEFAULT) == DEFAULT
