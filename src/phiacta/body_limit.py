"""A cap on request bodies (``MAX_REQUEST_BYTES``): a client cannot make the server read and
parse an unbounded JSON document before any field limit applies.

The cap is checked on the declared ``Content-Length`` and on the bytes actually received (a
chunked body declares none). It is raised while the route reads its body, as an
``HTTPException``, which FastAPI passes through untouched, so the answer is the usual error
envelope: 413 ``PAYLOAD_TOO_LARGE``.
"""

from __future__ import annotations

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        too_large = HTTPException(
            413, f"The request body exceeds {self.max_bytes} bytes (MAX_REQUEST_BYTES)"
        )
        received = 0

        async def limited() -> Message:
            nonlocal received
            if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
                raise too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise too_large
            return message

        await self.app(scope, limited, send)
