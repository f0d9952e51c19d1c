"""Unauthenticated junk on /socket.io/ is logged in a few budgeted lines, never a traceback;
namespace "/" is refused (only /hearing is served)."""

from __future__ import annotations

import json
import logging

import aiohttp
import pytest
import socketio
from aiohttp.test_utils import TestServer

from tests.support.clock import FakeClock

JUNK_BODIES = [b"garbage", b"4garbage", b"4\xff\xfe", b"9", b"42[not json"]


def _noisy(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


async def _send_junk(server: TestServer, count: int) -> None:
    base = str(server.make_url("/socket.io/"))
    async with aiohttp.ClientSession() as client:
        async with client.get(base + "?EIO=4&transport=polling") as opened:
            sid = json.loads((await opened.text())[1:])["sid"]
        for index in range(count):
            body = JUNK_BODIES[index % len(JUNK_BODIES)]
            target = base + f"?EIO=4&transport=polling&sid={sid}"
            if index % 10 == 9:  # some with no session at all, some with an old protocol
                target = base + ("?EIO=4&transport=polling&sid=nosuch" if index % 20 else "?EIO=3")
            async with client.post(target, data=body) as reply:
                assert reply.status in (200, 400)
            if index % 25 == 0:  # and a websocket whose frames do not parse
                async with client.ws_connect(base + "?EIO=4&transport=websocket") as ws:
                    await ws.receive()
                    await ws.send_str("garbage")
                    await ws.receive()


async def test_junk_packets_are_logged_in_bounded_lines_without_traceback(
    server: TestServer, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await _send_junk(server, 100)
    noisy = _noisy(caplog)
    assert 1 <= len(noisy) <= 10, [r.getMessage() for r in noisy]
    assert all(r.exc_info is None and r.exc_text is None for r in caplog.records)
    assert all("\n" not in r.getMessage() for r in noisy)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert sum(len(r.getMessage()) for r in noisy) < 4000
    # A minute later the next line says how many were left out.
    caplog.clear()
    clock.advance(seconds=61)
    await _send_junk(server, 3)
    messages = [r.getMessage() for r in _noisy(caplog)]
    assert any("more lines" in message and "left out" in message for message in messages)


async def test_namespace_root_is_refused(server: TestServer) -> None:
    client = socketio.AsyncClient(reconnection=False)
    try:
        with pytest.raises(socketio.exceptions.ConnectionError):
            await client.connect(
                str(server.make_url("/")), namespaces=["/"], transports=["websocket"],
                wait_timeout=10,
            )  # fmt: skip
    finally:
        await client.disconnect()
