"""Jinja templates for the service UIs: the service's own templates over the kit's ``base.html``.

Every service page extends ``base.html``; a service may shadow any kit template by shipping one of
the same name, and can still reach the kit's original as ``kit/<name>`` (to wrap it rather than copy
it). Autoescaping is always on, and undefined variables raise instead of rendering as empty text,
so a typo in a template fails its test rather than shipping a blank field.

Template globals:

- ``url_for(name, **params)``: the path of one of the service's routes (see ``servicekit.web.urls``:
  unlike Starlette's, it works when the service is mounted by ``suite up``);
- ``kit_static(path)``: the path of a kit static file, e.g. ``kit_static('kit.css')``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.templating import Jinja2Templates

from servicekit.web.static_files import KIT_STATIC_ROUTE
from servicekit.web.urls import url_path_for

KIT_TEMPLATE_DIR = Path(__file__).parent / "templates"

ContextProcessor = Callable[[Request], dict[str, Any]]


@jinja2.pass_context
def _url_for(context: jinja2.runtime.Context, name: str, /, **path_params: Any) -> str:
    return url_path_for(context["request"], name, **path_params)


@jinja2.pass_context
def _kit_static(context: jinja2.runtime.Context, path: str) -> str:
    return url_path_for(context["request"], KIT_STATIC_ROUTE, path=path)


def make_templates(
    service_template_dir: str | os.PathLike[str],
    *,
    context_processors: list[ContextProcessor] | None = None,
) -> Jinja2Templates:
    """Templates that look in ``service_template_dir`` first, then in the kit's templates.

    The app that renders them must have called ``mount_static`` (``kit_static`` resolves there).
    """
    kit_loader = jinja2.FileSystemLoader(KIT_TEMPLATE_DIR)
    loader = jinja2.ChoiceLoader(
        [
            jinja2.FileSystemLoader(service_template_dir),
            kit_loader,
            jinja2.PrefixLoader({"kit": kit_loader}),
        ]
    )
    env = jinja2.Environment(
        loader=loader,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # Set before Jinja2Templates, which only adds its own url_for when none is defined.
    env.globals["url_for"] = _url_for
    env.globals["kit_static"] = _kit_static
    return Jinja2Templates(env=env, context_processors=context_processors)
