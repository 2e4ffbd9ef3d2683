"""``MAX_REQUEST_BYTES``: every CuriousCore request is a small JSON document, so a larger body is
refused (413) before the server reads and parses it; the schemas' field limits (422) come after.

The check wraps ``receive``, so it sees a chunked body (no ``Content-Length``) as it arrives. It
raises FastAPI's ``HTTPException``, the one error FastAPI lets through unchanged while it reads a
body, and the kit's handler turns it into the usual error envelope.
"""

from __future__ import annotations

from fastapi import HTTPException, status
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class RequestSizeLimit:
    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        seen = int(declared) if declared.isdigit() else 0

        async def bounded() -> Message:
            nonlocal seen
            if seen > self.max_bytes:
                raise self._refusal()
            message = await receive()
            if not declared and message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise self._refusal()
            return message

        await self.app(scope, bounded, send)

    def _refusal(self) -> HTTPException:
        return HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE,
            f"The request body is larger than {self.max_bytes} bytes (MAX_REQUEST_BYTES)",
        )
