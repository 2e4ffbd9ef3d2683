"""The kit's static files: vendored libraries served as vendored, each with its licence."""

import json
from pathlib import Path

import httpx
import pytest

from servicekit.web import KIT_STATIC_DIR

VENDOR_DIR = KIT_STATIC_DIR / "vendor"
PACKAGE_JSON = KIT_STATIC_DIR.parent / "assets-src" / "package.json"
MANIFEST = json.loads((VENDOR_DIR / "manifest.json").read_text())

# vendored folder -> the npm package it comes from
EXPECTED_LIBRARIES = {
    "htmx": "htmx.org",
    "htmx-ext-sse": "htmx-ext-sse",
    "chart.js": "chart.js",
    "marked": "marked",
    "dompurify": "dompurify",
    "highlight.js": "@highlightjs/cdn-assets",
    "pico": "@picocss/pico",
}
CONTENT_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
}
KIT_OWN_FILES = ["kit.js", "kit.css", "favicon.svg"]
SERVED_FILES = KIT_OWN_FILES + [
    f"vendor/{path}" for entry in MANIFEST.values() for path in entry["files"]
]


@pytest.mark.parametrize("path", SERVED_FILES)
def test_static_file_is_served_under_the_prefix_with_its_content_type(
    demo_server: str, path: str
) -> None:
    response = httpx.get(f"{demo_server}/svc/static/kit/{path}")

    assert response.status_code == 200
    media_type = response.headers["content-type"].split(";")[0]
    assert media_type == CONTENT_TYPES[Path(path).suffix]
    assert response.content == (KIT_STATIC_DIR / path).read_bytes()


def test_every_vendored_library_ships_its_licence(demo_server: str) -> None:
    assert set(MANIFEST) == set(EXPECTED_LIBRARIES)
    for folder, package in EXPECTED_LIBRARIES.items():
        licences = MANIFEST[folder]["licences"]
        assert licences, f"{folder} has no licence file"
        for licence in licences:
            text = (VENDOR_DIR / licence).read_text()
            assert "permission" in text.lower() or "license" in text.lower(), licence
            served = httpx.get(f"{demo_server}/svc/static/kit/vendor/{licence}")
            assert served.status_code == 200
        assert package in MANIFEST[folder]["packages"]


def test_vendor_folder_holds_only_served_files_and_licences() -> None:
    on_disk = {p.relative_to(VENDOR_DIR).as_posix() for p in VENDOR_DIR.rglob("*") if p.is_file()}
    listed = {path for entry in MANIFEST.values() for path in entry["files"] + entry["licences"]}

    assert on_disk == listed | {"manifest.json"}
    assert all(".min." in f or f.endswith(".umd.js") for e in MANIFEST.values() for f in e["files"])


def test_vendored_versions_are_the_pinned_ones() -> None:
    pins = json.loads(PACKAGE_JSON.read_text())["dependencies"]

    for folder, package in EXPECTED_LIBRARIES.items():
        assert MANIFEST[folder]["packages"][package] == pins[package]
    assert pins["htmx.org"].startswith("2."), "the UIs are written for htmx 2"
