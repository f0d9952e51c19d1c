"""Socket.IO: an Origin equal to a forged Host header is refused; only configured origins pass."""

from __future__ import annotations

from typing import Any

import pytest
import socketio


async def test_origin_equal_to_a_forged_host_is_refused(courtroom: dict[str, Any]) -> None:
    forged = courtroom["open_socket"](origin="http://evil.example")
    forged.headers["Host"] = "evil.example"
    with pytest.raises(socketio.exceptions.ConnectionError):
        await forged.connect()
    assert not forged.sio.connected
    # The same judge from the server's own origin is let in: the refusal is the origin's.
    own = courtroom["open_socket"]()
    await own.connect()
    assert own.sio.connected
