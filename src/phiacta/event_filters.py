"""Which events a subscriber asked for (pure): webhooks and WebSocket subscriptions alike.

``filters``: ``namespace_prefix`` (the event's namespace is it or below it) and
``extension_id``; an empty ``event_types`` list (WebSocket only) means every type.
"""

from __future__ import annotations

from typing import Any


def matches(event_types: list[str], filters: dict[str, Any], event_type: str, data: Any) -> bool:
    if event_types and event_type not in event_types:
        return False
    data = data if isinstance(data, dict) else {}
    prefix = filters.get("namespace_prefix")
    if prefix:
        namespace = data.get("namespace")
        if not isinstance(namespace, str) or not (
            namespace == prefix or namespace.startswith(prefix + ".")
        ):
            return False
    extension = filters.get("extension_id")
    return not extension or data.get("extension_id") == extension
