"""Refuse oversized uploads while they arrive, not after the whole body has been spooled.

FastAPI parses a multipart body completely before the endpoint (or any dependency) runs, so a
limit checked there would still read gigabytes to disk. This ASGI middleware answers 413 at once
when ``Content-Length`` is too large, and stops reading a body without one (chunked transfer)
as soon as it passes the limit.
"""

from __future__ import annotations

import json
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servicekit.errors import envelope

# Multipart framing around the file: boundaries and part headers.
MULTIPART_OVERHEAD = 16 * 1024
_UPLOAD_PATH = re.compile(
    r"/(knowledge-bases/[^/]+/documents|assistants/[^/]+/knowledge/upload)/?$"
)


class _BodyTooLarge(Exception):
    pass


class UploadLimit:
    def __init__(self, app: ASGIApp, *, max_upload_bytes: int) -> None:
        self.app = app
        self.limit = max_upload_bytes + MULTIPART_OVERHEAD
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or not _UPLOAD_PATH.search(scope["path"])
        ):
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(send)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _BodyTooLarge:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        message = f"The file exceeds the upload limit of {self.max_upload_bytes} bytes"
        body = envelope(413, message, code="payload_too_large")
        body["error"]["details"] = {"max_upload_bytes": self.max_upload_bytes}
        payload = json.dumps(body).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})
