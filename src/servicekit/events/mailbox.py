"""A subscriber's bounded buffer of live events, which never drops an event silently.

The hub hands every subscriber of a stream the same events without waiting for any of them. A
subscriber that falls further behind than the mailbox holds is marked *stale* instead: its
buffer is emptied and it catches up from the table, so one slow client costs its own re-read and
never blocks or loses events for the others.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Sequence

from servicekit.events.log import Event


class Mailbox:
    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._events: deque[Event] = deque()
        self._stale = False
        self._closed = False
        self._wakeup = asyncio.Event()

    @property
    def closed(self) -> bool:
        return self._closed

    def deliver(self, events: Sequence[Event]) -> None:
        """Queue ``events`` (in seq order), or mark the mailbox stale if they do not fit."""
        if self._closed or self._stale:
            return  # a stale subscriber re-reads from the table, which has these events too
        if len(self._events) + len(events) > self._capacity:
            self.mark_stale()
            return
        self._events.extend(events)
        self._wakeup.set()

    def mark_stale(self) -> None:
        """The subscriber may have missed events: make it re-read from the table."""
        self._events.clear()
        self._stale = True
        self._wakeup.set()

    def close(self) -> None:
        """The hub is stopping: the subscriber ends its iteration."""
        self._closed = True
        self._events.clear()
        self._wakeup.set()

    def take_stale(self) -> bool:
        """Whether the subscriber must re-read from the table (and clear the mark)."""
        stale, self._stale = self._stale, False
        return stale

    def take_events(self) -> list[Event]:
        events = list(self._events)
        self._events.clear()
        return events

    async def wait(self) -> None:
        """Return once there are events, a stale mark, or the mailbox is closed."""
        if self._events or self._stale or self._closed:
            return
        self._wakeup.clear()
        await self._wakeup.wait()
