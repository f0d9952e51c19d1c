"""News for the hearing's staff in its courtroom (export progress), not for the parties."""

from __future__ import annotations

from typing import Any

from hearing_server.services.courtroom import CourtroomRegistry


async def notify_staff(registry: CourtroomRegistry, hearing_id: int, event: str, data: Any) -> None:
    """Send ``event`` to the judge's and clerk's connections to the hearing's courtroom.

    Nobody gets it when the courtroom is not open (no one connected since the server started):
    the staff read the same state over REST when they arrive."""
    room = registry.rooms.get(hearing_id)
    if room is None:
        return
    await registry.to_staff(room, event, data)
