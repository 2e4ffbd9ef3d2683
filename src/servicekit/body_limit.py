"""A cap on request bodies, enforced while the bytes arrive.

FastAPI reads (and for multipart, spools) a whole body before the endpoint or any dependency runs,
so a limit checked there would still read gigabytes. This ASGI middleware counts the declared
``Content-Length`` and the bytes actually received (a chunked body declares none) and refuses
the request with 413 as soon as either passes the limit.

The refusal is raised while the route reads its body, as an ``HTTPException``: the one error
FastAPI lets through its body parsing unchanged (any other becomes a 400), and the kit's handler
answers it with the usual envelope, request id and ``payload_too_large`` code.
"""

from __future__ import annotations

import re

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servicekit.errors import PayloadTooLarge


class BodyTooLarge(HTTPException):
    code = PayloadTooLarge.code

    def __init__(self, max_bytes: int, setting: str) -> None:
        super().__init__(
            413, f"The request body exceeds the limit of {max_bytes} bytes ({setting})"
        )
        self.details = {"max_bytes": max_bytes, "setting": setting}


class BodySizeLimit:
    """Refuse bodies over ``max_bytes`` (plus ``allowance``, e.g. multipart framing around a file)
    on every request, or only on those whose path matches the regex ``paths``. ``setting``
    names the variable that raises the limit, so the message says what to change."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        setting: str = "MAX_REQUEST_BYTES",
        paths: str | None = None,
        allowance: int = 0,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.setting = setting
        self.paths = re.compile(paths) if paths else None
        self.limit = max_bytes + allowance

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (self.paths and not self.paths.search(scope["path"])):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        received = int(declared) if declared.isdigit() else 0

        async def bounded() -> Message:
            nonlocal received
            if received > self.limit:
                raise BodyTooLarge(self.max_bytes, self.setting)
            message = await receive()
            if not declared and message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge(self.max_bytes, self.setting)
            return message

        await self.app(scope, bounded, send)
