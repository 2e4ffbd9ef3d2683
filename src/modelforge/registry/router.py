"""``/models``: the registry over HTTP (thin: parse, call the service, shape the answer)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from starlette.datastructures import UploadFile as StarletteUploadFile

from modelforge.identity.dependencies import actor_with, forge
from modelforge.identity.scopes import READ, WRITE
from modelforge.models import ModelStatus, Visibility
from modelforge.registry.access import Actor
from modelforge.registry.repository import ModelFilters
from modelforge.registry.schemas import (
    AliasResponse,
    AliasSet,
    ModelCreate,
    ModelPage,
    ModelResponse,
    ModelUpdate,
    UploadResponse,
    ValidationResponse,
    VersionEntry,
    VersionList,
)
from modelforge.registry.service import RegistryService
from modelforge.runtime import ModelForge
from servicekit.errors import PayloadTooLarge, Unprocessable

router = APIRouter(prefix="/models", tags=["models"])

Reader = Annotated[Actor, Depends(actor_with(READ))]
Writer = Annotated[Actor, Depends(actor_with(WRITE))]
Owner = Annotated[str | None, Query(description="the owner's login, when several own the name")]
ALIAS_PATTERN = r"^[A-Za-z][A-Za-z0-9_.-]{0,99}$"
# Multipart framing around the file: a body larger than the limit plus this is refused unread.
_MULTIPART_ALLOWANCE = 64 * 1024


def registry(request: Request) -> RegistryService:
    mf: ModelForge = forge(request)
    return mf.registry


Registry = Annotated[RegistryService, Depends(registry)]


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_model(body: ModelCreate, actor: Writer, service: Registry) -> ModelResponse:
    return ModelResponse.model_validate(await service.create(actor, body))


@router.get("")
async def list_models(
    actor: Reader,
    service: Registry,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
    name: str | None = None,
    status_: Annotated[ModelStatus | None, Query(alias="status")] = None,
    visibility: Visibility | None = None,
    owner: Owner = None,
) -> ModelPage:
    """Your models and public ones (admins: all), newest first."""
    filters = ModelFilters(name=name, status=status_, visibility=visibility, owner_login=owner)
    items, total, pages = await service.page(actor, filters, page=page, page_size=page_size)
    return ModelPage(
        items=[ModelResponse.model_validate(item) for item in items],
        total=total,
        page=page,
        page_size=page_size,
        total_pages=pages,
    )


# The by-name routes come before /{model_id} and take the rest of the path as the name, so
# names containing "/" work (upstream could not reach them).


@router.get("/by-name/{name:path}/versions")
async def list_versions(
    name: str, actor: Reader, service: Registry, owner: Owner = None
) -> VersionList:
    """Every version readable to you, highest Semantic Versioning precedence first."""
    found = await service.versions(actor, name, owner=owner)
    return VersionList(
        name=name,
        owner=found.owner_login,
        versions=[
            VersionEntry(id=m.id, version=m.version, status=m.status, created_at=m.created_at)
            for m in found.models
        ],
        total=len(found.models),
        latest_version=found.models[0].version,
    )


@router.get("/by-name/{name:path}/latest")
async def latest_version(
    name: str, actor: Reader, service: Registry, owner: Owner = None, ready_only: bool = False
) -> ModelResponse:
    model = await service.latest(actor, name, owner=owner, ready_only=ready_only)
    return ModelResponse.model_validate(model)


@router.get("/by-name/{name:path}/resolve")
async def resolve(
    name: str,
    actor: Reader,
    service: Registry,
    owner: Owner = None,
    version: str | None = None,
    alias: str | None = None,
) -> ModelResponse:
    """The model that ``version`` or ``alias`` (or, with neither, the latest ready) designates."""
    model = await service.resolve_readable_model(
        actor, name=name, version=version, alias=alias, owner=owner
    )
    return ModelResponse.model_validate(model)


@router.get("/by-name/{name:path}/aliases")
async def list_aliases(
    name: str, actor: Reader, service: Registry, owner: Owner = None
) -> list[AliasResponse]:
    return [
        AliasResponse(
            alias=row.alias, model_id=model.id, version=model.version, updated_at=row.updated_at
        )
        for row, model in await service.aliases(actor, name, owner=owner)
    ]


@router.put("/by-name/{name:path}/aliases/{alias}")
async def set_alias(
    name: str,
    alias: Annotated[str, Path(pattern=ALIAS_PATTERN)],
    body: AliasSet,
    actor: Writer,
    service: Registry,
) -> AliasResponse:
    """Point ``alias`` (``production``, ``staging``...) at ``version``, moving it if it exists."""
    row, model = await service.set_alias(actor, name, alias, body.version)
    return AliasResponse(
        alias=row.alias, model_id=model.id, version=model.version, updated_at=row.updated_at
    )


@router.delete("/by-name/{name:path}/aliases/{alias}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_alias(name: str, alias: str, actor: Writer, service: Registry) -> Response:
    await service.delete_alias(actor, name, alias)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _may_read(actor: Actor, model: ModelResponse) -> bool:
    # The cached copy skips the database, so the readable rule (access.readable) is applied here.
    public = model.visibility == Visibility.public
    return actor.is_admin or model.owner_id == actor.user_id or public


@router.get("/{model_id}")
async def get_model(
    model_id: uuid.UUID, actor: Reader, service: Registry, request: Request, response: Response
) -> ModelResponse:
    """The model; ``X-Cache`` says whether its metadata came from the cache (``CACHE_MODEL_TTL``),
    which changes to the model invalidate."""
    cache = forge(request).metadata_cache
    cached = await cache.get(str(model_id))
    model = ModelResponse.model_validate(cached) if cached is not None else None
    if model is not None and _may_read(actor, model):
        response.headers["X-Cache"] = "HIT"
    else:
        # A cached model the caller may not read still goes through the database: same 404.
        model = ModelResponse.model_validate(await service.get(actor, model_id))
        await cache.set(str(model_id), model.model_dump(mode="json"))
        response.headers["X-Cache"] = "MISS"
    scope = "public" if model.visibility == Visibility.public else "private"
    response.headers["Cache-Control"] = f"{scope}, max-age={cache.ttl_seconds}"
    return model


@router.patch("/{model_id}")
async def update_model(
    model_id: uuid.UUID, body: ModelUpdate, actor: Writer, service: Registry
) -> ModelResponse:
    return ModelResponse.model_validate(await service.update(actor, model_id, body))


@router.delete("/{model_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_model(model_id: uuid.UUID, actor: Writer, service: Registry) -> Response:
    await service.delete(actor, model_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _refuse_oversized(request: Request) -> None:
    """413 from ``Content-Length`` before any of the body is read; a body without a length is
    still cut off at the limit while it is stored."""
    limit = forge(request).settings.max_model_size_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + _MULTIPART_ALLOWANCE:
        raise PayloadTooLarge(f"the model file exceeds MAX_MODEL_SIZE_BYTES ({limit} bytes)")


async def _chunks(upload: StarletteUploadFile) -> AsyncIterator[bytes]:
    while chunk := await upload.read(1024 * 1024):
        yield chunk


_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}


# The body is parsed here rather than declared as a File parameter, which FastAPI would read
# in full before any check could refuse it by its declared length.
@router.post("/{model_id}/upload", openapi_extra=_UPLOAD_BODY)
async def upload_model(
    model_id: uuid.UUID, request: Request, actor: Writer, service: Registry
) -> UploadResponse:
    """Store the model's ONNX file (multipart field ``file``), replacing a previous one while
    the model is not validated."""
    _refuse_oversized(request)
    async with request.form(max_files=1, max_fields=0) as form:
        file = form.get("file")
        if not isinstance(file, StarletteUploadFile):
            raise Unprocessable("send the model as the multipart field 'file'")
        model = await service.upload(actor, model_id, file.filename, _chunks(file))
    assert model.file_size_bytes is not None and model.file_hash is not None
    return UploadResponse(
        id=model.id,
        file_size_bytes=model.file_size_bytes,
        file_hash=model.file_hash,
        status=model.status,
        message="uploaded; validate it to make it servable",
    )


@router.post("/{model_id}/validate")
async def validate_model(
    model_id: uuid.UUID, actor: Writer, service: Registry
) -> ValidationResponse:
    """Load the file in ONNX Runtime; 422 with the reason (and status ``error``) if it fails."""
    model = await service.validate(actor, model_id)
    response = ModelResponse.model_validate(model)
    return ValidationResponse(
        id=model.id,
        valid=True,
        status=model.status,
        input_schema=response.input_schema,
        output_schema=response.output_schema,
        model_metadata=model.model_metadata,
        message="the model is ready for predictions",
    )
