"""Registry use cases: records, file upload, validation, versions, aliases, resolution.

Files live under ``MODEL_STORAGE_PATH/<model id>/``, content-addressed by sha256 (the kit's
``BlobStore`` with the model id as owner), written to a temporary file while hashing and counted
against ``MAX_MODEL_SIZE_BYTES``, then renamed into place. ``file_path`` is stored relative to
the storage root so that no server path reaches a client and the root may move.

Long work (streaming a file, loading it in ONNX Runtime) happens outside any database
transaction; the row is then locked and its status re-checked before the result is written.
"""

from __future__ import annotations

import asyncio
import inspect
import math
import uuid
from collections.abc import AsyncIterable, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.exc import IntegrityError

from modelforge.config import Settings
from modelforge.models import MLModel, ModelAlias, ModelStatus
from modelforge.registry import formats, lifecycle
from modelforge.registry.access import Actor, manageable, readable
from modelforge.registry.inspection import InvalidModel, describe_model
from modelforge.registry.model_cache import ResolvedModelCache
from modelforge.registry.repository import ModelFilters, RegistryRepository
from modelforge.registry.schemas import ModelCreate, ModelUpdate
from modelforge.registry.semver import precedence_key
from servicekit.db import Database
from servicekit.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    Unprocessable,
    UnsupportedMediaType,
)
from servicekit.logging import get_logger
from servicekit.storage import BlobStore, StoredBlob, TooLarge

log = get_logger("modelforge.registry")

ModelListener = Callable[[uuid.UUID], Awaitable[None] | None]

# A model left in ``validating`` this long was abandoned by a crashed process: validate again.
VALIDATION_LEASE = timedelta(minutes=10)


@dataclass(frozen=True)
class ModelVersions:
    owner_id: uuid.UUID
    owner_login: str | None
    models: list[MLModel]  # highest precedence first


def newest_first(models: Sequence[MLModel]) -> list[MLModel]:
    """Highest SemVer precedence first; ties and non-versions by creation time, newest first."""
    by_creation = sorted(models, key=lambda model: model.created_at, reverse=True)
    return sorted(by_creation, key=lambda model: precedence_key(model.version), reverse=True)


class RegistryService:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self.store = BlobStore(settings.storage_path)
        self._removed_listeners: list[ModelListener] = []
        self._changed_listeners: list[ModelListener] = []
        # Predictions resolve their model by id here rather than with a query each time.
        self.resolved = ResolvedModelCache(db, ttl_seconds=settings.hot_cache_ttl)

    def on_model_removed(self, listener: ModelListener) -> None:
        """``listener(model_id)`` runs after a model stops being servable from its file: deleted,
        file replaced, or archived (evict loaded ONNX sessions, drop cached predictions)."""
        self._removed_listeners.append(listener)

    def on_model_changed(self, listener: ModelListener) -> None:
        """``listener(model_id)`` runs after any change to a model's record, deletion included
        (drop a cached copy of its metadata)."""
        self._changed_listeners.append(listener)

    async def _notify(self, listeners: list[ModelListener], model_id: uuid.UUID) -> None:
        for listener in listeners:
            try:
                outcome = listener(model_id)
                if inspect.isawaitable(outcome):
                    await outcome
            except Exception:  # a cache failing to drop an entry must not fail the change
                log.exception("model listener failed", model_id=str(model_id))

    async def _changed(self, model_id: uuid.UUID, *, removed: bool = False) -> None:
        self.resolved.evict(model_id)
        if removed:
            await self._notify(self._removed_listeners, model_id)
        await self._notify(self._changed_listeners, model_id)

    # -- files ------------------------------------------------------------------------------

    def model_file(self, model: MLModel) -> Path:
        """The absolute path of a model's ONNX file (``file_path`` is relative to the root)."""
        if model.file_path is None:
            raise Conflict("the model has no file yet; upload one first", code="no_file")
        return self.store.root / model.file_path

    def model_directory(self, model_id: uuid.UUID) -> Path:
        return self.store.root / str(model_id)

    def _relative(self, blob: StoredBlob) -> str:
        return blob.path.relative_to(self.store.root).as_posix()

    # -- records ----------------------------------------------------------------------------

    async def create(self, actor: Actor, data: ModelCreate) -> MLModel:
        model = MLModel(
            owner_id=actor.user_id,
            name=data.name,
            version=data.version,
            description=data.description,
            visibility=data.visibility,
            model_metadata=data.model_metadata,
            status=ModelStatus.pending,
        )
        try:
            async with self.db.session() as session:
                session.add(model)
                await session.flush()
                await session.refresh(model)
        except IntegrityError as exc:
            raise Conflict(
                f"you already have a model {data.name!r} version {data.version!r}",
                code="duplicate_version",
            ) from exc
        return model

    async def page(
        self, actor: Actor, filters: ModelFilters, *, page: int, page_size: int
    ) -> tuple[Sequence[MLModel], int, int]:
        """The page's models, the total count and the number of pages."""
        async with self.db.session() as session:
            items, total = await RegistryRepository(session).page(
                readable(actor), filters, offset=(page - 1) * page_size, limit=page_size
            )
        return items, total, math.ceil(total / page_size) if total else 0

    async def get(self, actor: Actor, model_id: uuid.UUID) -> MLModel:
        async with self.db.session() as session:
            model = await RegistryRepository(session).get(model_id, readable(actor))
        if model is None:
            raise NotFound("model not found")
        return model

    async def _managed(
        self, repo: RegistryRepository, actor: Actor, model_id: uuid.UUID
    ) -> MLModel:
        """The model locked for update, if the actor may change it (404 when not even visible)."""
        model = await repo.get(model_id, manageable(actor), for_update=True)
        if model is not None:
            return model
        if await repo.get(model_id, readable(actor)) is not None:
            raise Forbidden("only the owner may change this model")
        raise NotFound("model not found")

    async def update(self, actor: Actor, model_id: uuid.UUID, data: ModelUpdate) -> MLModel:
        fields = data.model_fields_set
        async with self.db.session() as session:
            repo = RegistryRepository(session)
            model = await self._managed(repo, actor, model_id)
            name = data.name if "name" in fields and data.name else model.name
            version = data.version if "version" in fields and data.version else model.version
            if (name, version) != (model.name, model.version) and await repo.exists_version(
                model.owner_id, name, version, excluding=model.id
            ):
                raise Conflict(
                    f"a model {name!r} version {version!r} already exists", code="duplicate_version"
                )
            if name != model.name:
                # Aliases live in the namespace of a name; a renamed version leaves it.
                await repo.drop_aliases_of(model.id)
            model.name, model.version = name, version
            if "description" in fields:
                model.description = data.description
            if data.visibility is not None:
                model.visibility = data.visibility
            was_servable = model.status == ModelStatus.ready
            if data.status is not None:
                try:
                    model.status = lifecycle.client_transition(
                        model.status,
                        data.status,
                        has_file=model.file_path is not None,
                        validated=model.input_schema is not None,
                    )
                except lifecycle.TransitionRefused as exc:
                    raise Conflict(str(exc), code="invalid_transition") from exc
            try:
                await session.flush()
            except IntegrityError as exc:  # a concurrent request took the name and version
                raise Conflict(
                    f"a model {name!r} version {version!r} already exists", code="duplicate_version"
                ) from exc
            await session.refresh(model)
        await self._changed(model.id, removed=was_servable and model.status != ModelStatus.ready)
        return model

    async def delete(self, actor: Actor, model_id: uuid.UUID) -> None:
        async with self.db.session() as session:
            model = await self._managed(RegistryRepository(session), actor, model_id)
            await session.delete(model)
        await asyncio.to_thread(self.store.delete_owner, str(model_id))
        await self._changed(model_id, removed=True)

    # -- upload -----------------------------------------------------------------------------

    async def upload(
        self,
        actor: Actor,
        model_id: uuid.UUID,
        filename: str | None,
        chunks: AsyncIterable[bytes],
    ) -> MLModel:
        refusal = formats.check_filename(filename)
        if refusal is not None:
            raise UnsupportedMediaType(
                refusal.message, code="pickle_refused" if refusal.pickle else "not_onnx"
            )
        async with self.db.session() as session:
            model = await self._managed(RegistryRepository(session), actor, model_id)
            self._check_uploadable(model)
        try:
            blob = await self.store.put_stream(
                str(model_id),
                _checked_content(chunks),
                max_bytes=self.settings.max_model_size_bytes,
            )
        except TooLarge as exc:
            raise PayloadTooLarge(
                "the model file exceeds MAX_MODEL_SIZE_BYTES "
                f"({self.settings.max_model_size_bytes} bytes)"
            ) from exc
        try:
            return await self._attach_file(actor, model_id, blob)
        except BaseException:
            if blob.created:
                await asyncio.to_thread(blob.path.unlink, True)
            raise

    @staticmethod
    def _check_uploadable(model: MLModel) -> None:
        if model.status not in lifecycle.UPLOADABLE:
            raise Conflict(
                f"a {model.status.value} model's file cannot be replaced; create a new version",
                code="invalid_transition",
            )

    async def _attach_file(self, actor: Actor, model_id: uuid.UUID, blob: StoredBlob) -> MLModel:
        async with self.db.session() as session:
            repo = RegistryRepository(session)
            model = await self._managed(repo, actor, model_id)
            self._check_uploadable(model)  # again: it may have changed while the file streamed
            twin = await repo.with_same_file(model.owner_id, blob.sha256, excluding=model.id)
            if twin is not None:
                raise Conflict(
                    f"this file is already uploaded as model {twin.name!r} version "
                    f"{twin.version!r} ({twin.id})",
                    code="duplicate_content",
                    details={"model_id": str(twin.id), "name": twin.name, "version": twin.version},
                )
            previous = model.file_path
            model.file_path = self._relative(blob)
            model.file_size_bytes = blob.size
            model.file_hash = blob.sha256
            model.status = ModelStatus.uploaded
            model.input_schema = model.output_schema = None
            model.error_message = None
            await session.flush()
            await session.refresh(model)
        replaced = previous is not None and previous != model.file_path
        if replaced:
            await asyncio.to_thread((self.store.root / previous).unlink, True)
        await self._changed(model_id, removed=replaced)
        return model

    # -- validation -------------------------------------------------------------------------

    async def validate(self, actor: Actor, model_id: uuid.UUID) -> MLModel:
        """Load the file in ONNX Runtime: ``ready`` with schemas, or ``error`` and a 422."""
        async with self.db.session() as session:
            model = await self._managed(RegistryRepository(session), actor, model_id)
            if model.file_path is None:
                raise Conflict("the model has no file yet; upload one first", code="no_file")
            abandoned = model.status == ModelStatus.validating and (
                model.updated_at < datetime.now(UTC) - VALIDATION_LEASE
            )
            if model.status not in lifecycle.VALIDATABLE and not abandoned:
                raise Conflict(
                    "only uploaded or failed models are validated; "
                    f"this one is {model.status.value}",
                    code="invalid_transition",
                )
            model.status = ModelStatus.validating
            path = self.model_file(model)
        try:
            description = await asyncio.to_thread(
                describe_model, path, self.model_directory(model_id)
            )
        except InvalidModel as exc:
            await self._finish_validation(model_id, error=str(exc))
            raise Unprocessable(f"validation failed: {exc}", code="invalid_model") from exc
        except BaseException:
            await self._finish_validation(model_id, error="validation was interrupted")
            raise
        async with self.db.session() as session:
            model = await self._managed(RegistryRepository(session), actor, model_id)
            if model.status != ModelStatus.validating:
                raise Conflict("the model changed during validation", code="invalid_transition")
            model.status = ModelStatus.ready
            model.input_schema = description.input_schema
            model.output_schema = description.output_schema
            model.model_metadata = {**(model.model_metadata or {}), **description.metadata}
            model.error_message = None
            await session.flush()
            await session.refresh(model)
        await self._changed(model_id)
        return model

    async def _finish_validation(self, model_id: uuid.UUID, *, error: str) -> None:
        async with self.db.session() as session:
            model = await session.get(MLModel, model_id, with_for_update=True)
            if model is not None and model.status == ModelStatus.validating:
                model.status = ModelStatus.error
                model.error_message = error
        await self._changed(model_id)

    # -- versions, aliases, resolution ------------------------------------------------------

    async def _owner_of_name(
        self, repo: RegistryRepository, actor: Actor, name: str, owner: str | None
    ) -> uuid.UUID:
        """Whose ``name`` is meant: ``owner`` (a login) when given, else the actor's own, else
        the only owner publishing that name."""
        if owner is not None:
            owner_id = await repo.user_id_by_login(owner)
            if owner_id is None:
                raise NotFound(f"no model named {name!r}")
            return owner_id
        owners = await repo.owners_of_name(name, readable(actor))
        if actor.user_id in owners or not owners:
            return actor.user_id
        if len(owners) > 1:
            raise Conflict(
                f"several owners have a model named {name!r}; pass owner=<login>",
                code="ambiguous_name",
            )
        return owners[0]

    async def versions(self, actor: Actor, name: str, *, owner: str | None = None) -> ModelVersions:
        async with self.db.session() as session:
            repo = RegistryRepository(session)
            owner_id = await self._owner_of_name(repo, actor, name, owner)
            models = newest_first(await repo.versions(owner_id, name, readable(actor)))
            login = await repo.owner_login(owner_id)
        if not models:
            raise NotFound(f"no model named {name!r}")
        return ModelVersions(owner_id, login, models)

    async def latest(
        self, actor: Actor, name: str, *, owner: str | None = None, ready_only: bool = False
    ) -> MLModel:
        found = await self.versions(actor, name, owner=owner)
        for model in found.models:
            if not ready_only or model.status == ModelStatus.ready:
                return model
        raise NotFound(f"no ready version of {name!r}")

    async def by_version(
        self, actor: Actor, name: str, version: str, *, owner: str | None = None
    ) -> MLModel:
        found = await self.versions(actor, name, owner=owner)
        for model in found.models:
            if model.version == version:
                return model
        raise NotFound(f"{name!r} has no version {version!r}")

    async def set_alias(
        self, actor: Actor, name: str, alias: str, version: str
    ) -> tuple[ModelAlias, MLModel]:
        """Point ``alias`` of the actor's model ``name`` at ``version`` (moving it if set)."""
        async with self.db.session() as session:
            repo = RegistryRepository(session)
            targets = [
                m
                for m in await repo.versions(actor.user_id, name, manageable(actor))
                if m.version == version
            ]
            if not targets:
                raise NotFound(f"you have no model {name!r} version {version!r}")
            target = targets[0]
            row = await repo.alias(actor.user_id, name, alias)
            if row is None:
                row = ModelAlias(
                    owner_id=actor.user_id, model_name=name, alias=alias, model_id=target.id
                )
                session.add(row)
            else:
                row.model_id = target.id
            await session.flush()
            await session.refresh(row)
        return row, target

    async def aliases(
        self, actor: Actor, name: str, *, owner: str | None = None
    ) -> list[tuple[ModelAlias, MLModel]]:
        found = await self.versions(actor, name, owner=owner)
        by_id = {model.id: model for model in found.models}
        async with self.db.session() as session:
            rows = await RegistryRepository(session).aliases(found.owner_id, name)
        return [(row, by_id[row.model_id]) for row in rows if row.model_id in by_id]

    async def delete_alias(self, actor: Actor, name: str, alias: str) -> None:
        async with self.db.session() as session:
            row = await RegistryRepository(session).alias(actor.user_id, name, alias)
            if row is None:
                raise NotFound(f"{name!r} has no alias {alias!r}")
            await session.delete(row)

    async def by_alias(
        self, actor: Actor, name: str, alias: str, *, owner: str | None = None
    ) -> MLModel:
        for row, model in await self.aliases(actor, name, owner=owner):
            if row.alias == alias:
                return model
        raise NotFound(f"{name!r} has no alias {alias!r}")

    async def resolve_readable_model(
        self,
        actor: Actor,
        *,
        model_id: uuid.UUID | None = None,
        name: str | None = None,
        version: str | None = None,
        alias: str | None = None,
        owner: str | None = None,
    ) -> MLModel:
        """The model a caller designates by id, by ``name`` + ``version``, by ``name`` + ``alias``
        or by ``name`` alone (latest ready), if the actor may read it; 404 otherwise."""
        if model_id is not None:
            return await self.resolved.readable(actor, model_id)
        if name is None:
            raise Unprocessable("designate a model by id, or by name with a version or an alias")
        if version is not None and alias is not None:
            raise Unprocessable("give a version or an alias, not both")
        if version is not None:
            return await self.by_version(actor, name, version, owner=owner)
        if alias is not None:
            return await self.by_alias(actor, name, alias, owner=owner)
        return await self.latest(actor, name, owner=owner, ready_only=True)


async def _checked_content(chunks: AsyncIterable[bytes]) -> AsyncIterable[bytes]:
    """Pass the upload through, refusing it from its first bytes when it is not ONNX."""
    checked = False
    head = b""
    async for chunk in chunks:
        if not checked:
            head += chunk
            if len(head) < 2:
                continue
            refusal = formats.check_content(head)
            if refusal is not None:
                raise UnsupportedMediaType(
                    refusal.message, code="pickle_refused" if refusal.pickle else "not_onnx"
                )
            checked = True
            chunk, head = head, b""
        yield chunk
    if not checked:
        refusal = formats.check_content(head)
        raise UnsupportedMediaType(
            refusal.message if refusal else "the file is empty", code="not_onnx"
        )
