"""``PhiactaClient``: the API over HTTP, with typed errors and retries on 429 and 5xx."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import httpx

from phiacta.sdk.extension import ExtractionResult, Source, bundle_body


class PhiactaError(Exception):
    def __init__(
        self, status: int, code: str, message: str, request_id: str | None, details: Any = None
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message
        self.request_id, self.details = request_id, details


class AuthenticationError(PhiactaError): ...


class PermissionDenied(PhiactaError): ...


class NotFoundError(PhiactaError): ...


class ValidationError(PhiactaError): ...


class RateLimitError(PhiactaError):
    retry_after: float | None = None


class BackendError(PhiactaError): ...


_BY_STATUS: dict[int, type[PhiactaError]] = {
    401: AuthenticationError,
    403: PermissionDenied,
    404: NotFoundError,
    422: ValidationError,
    429: RateLimitError,
}


def error_of(response: httpx.Response) -> PhiactaError:
    try:
        body = response.json().get("error", {})
    except ValueError:
        body = {}
    kind = _BY_STATUS.get(response.status_code)
    if kind is None:
        kind = BackendError if response.status_code >= 500 else PhiactaError
    error = kind(
        response.status_code,
        str(body.get("code", "UNKNOWN")),
        str(body.get("message", response.text[:200])),
        body.get("request_id") or response.headers.get("x-request-id"),
        body.get("details"),
    )
    if isinstance(error, RateLimitError) and "retry-after" in response.headers:
        error.retry_after = float(response.headers["retry-after"])
    return error


class PhiactaClient:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        backoff: Sequence[float] = (1.0, 2.0, 4.0),
        timeout: float = 60.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.backoff = tuple(backoff)
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=timeout,
            transport=transport,
        )

    async def __aenter__(self) -> PhiactaClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """The decoded JSON answer; retried on 429 (after Retry-After) and 5xx."""
        for attempt in range(len(self.backoff) + 1):
            response = await self._http.request(method, path, **kwargs)
            if response.is_success:
                return response.json() if response.content else None
            error = error_of(response)
            retryable = isinstance(error, RateLimitError | BackendError)
            if not retryable or attempt == len(self.backoff):
                raise error
            wait = self.backoff[attempt]
            if isinstance(error, RateLimitError) and error.retry_after is not None:
                wait = max(wait, error.retry_after)
            await asyncio.sleep(wait)
        raise AssertionError("unreachable")

    async def submit_bundle(
        self,
        result: ExtractionResult,
        source: Source,
        idempotency_key: str,
        *,
        namespace: str | None = None,
        contributor_id: str | None = None,
        create_namespace: bool = False,
    ) -> dict[str, Any]:
        body = bundle_body(
            result,
            source,
            idempotency_key=idempotency_key,
            namespace=namespace,
            contributor_id=contributor_id,
            create_namespace=create_namespace,
        )
        answer: dict[str, Any] = await self.request("POST", "/v1/bundles", json=body)
        return answer

    async def get_claim(self, claim_id: str, *, include: Sequence[str] = ()) -> dict[str, Any]:
        params = {"include": ",".join(include)} if include else None
        answer: dict[str, Any] = await self.request("GET", f"/v1/claims/{claim_id}", params=params)
        return answer

    async def search(self, query: str, **options: Any) -> dict[str, Any]:
        answer: dict[str, Any] = await self.request(
            "POST", "/v1/query/search", json={"query": query, **options}
        )
        return answer

    async def traverse(self, start: str, **options: Any) -> dict[str, Any]:
        answer: dict[str, Any] = await self.request(
            "POST", "/v1/query/traverse", json={"start": start, **options}
        )
        return answer
