"""Namespace use cases: create under a parent, look up by path or id, resolve for claims."""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from phiacta.actor import Actor
from phiacta.audit.repository import record
from phiacta.errors import conflict, error, not_found
from phiacta.models import Namespace
from phiacta.namespaces import paths, repository
from phiacta.namespaces.schemas import NamespaceCreate, NamespacePage, NamespaceRead
from phiacta.pagination import decode_cursor, encode_cursor
from servicekit.errors import ServiceError


def namespace_missing(ref: str, field: str = "namespace") -> ServiceError:
    return error(
        422,
        "NAMESPACE_NOT_FOUND",
        f"Namespace {ref!r} does not exist",
        [{"field": field, "code": "NAMESPACE_NOT_FOUND", "message": f"unknown namespace {ref!r}"}],
    )


async def find(session: AsyncSession, ref: str) -> Namespace | None:
    """By id (a UUID) or by path."""
    try:
        return await repository.by_id(session, uuid.UUID(ref))
    except ValueError:
        return await repository.by_path(session, ref)


async def get(session: AsyncSession, ref: str) -> Namespace:
    found = await find(session, ref)
    if found is None:
        raise not_found("Namespace", ref)
    return found


async def create(session: AsyncSession, data: NamespaceCreate, actor: Actor) -> Namespace:
    parent = None
    if data.parent is not None:
        parent = await find(session, data.parent)
        if parent is None:
            raise namespace_missing(data.parent, "parent")
    path = paths.child_path(parent.path if parent else None, data.name)
    namespace = Namespace(
        name=data.name,
        path=path,
        parent_id=parent.id if parent else None,
        description=data.description,
        attrs=data.attrs,
    )
    try:
        async with session.begin_nested():
            session.add(namespace)
            await session.flush()
    except IntegrityError:
        raise conflict(f"Namespace {path!r} already exists", {"path": path}) from None
    await session.refresh(namespace)
    await record(session, actor, "namespace.create", "namespace", namespace.id, after=path)
    return namespace


async def resolve(
    session: AsyncSession, ref: str, *, create_missing: bool, field: str = "namespace"
) -> Namespace:
    """The namespace a claim names; with ``create_missing``, a dotted path and its ancestors
    are created as needed (bundles' ``create_namespace``)."""
    found = await find(session, ref)
    if found is not None:
        return found
    if not create_missing or paths.segments(ref) is None:
        raise namespace_missing(ref, field)
    parent: Namespace | None = None
    for path in paths.ancestors(ref):
        parent = await repository.insert_if_absent(
            session,
            name=path.rsplit(".", 1)[-1],
            path=path,
            parent_id=parent.id if parent else None,
        )
    assert parent is not None
    return parent


async def list_page(
    session: AsyncSession, *, prefix: str | None, cursor: str | None, limit: int
) -> NamespacePage:
    after = decode_cursor(cursor, ("path",))["path"] if cursor else None
    rows = await repository.page(session, prefix=prefix, after=after, limit=limit + 1)
    has_more = len(rows) > limit
    rows = rows[:limit]
    return NamespacePage(
        namespaces=[NamespaceRead.model_validate(row) for row in rows],
        next_cursor=encode_cursor({"path": rows[-1].path}) if has_more else None,
        has_more=has_more,
    )
