"""A large request body (a drawn signature) is read whole however it arrives."""

from __future__ import annotations

import asyncio
import json
from unittest import mock

import pytest
from aiohttp import StreamReader
from aiohttp.test_utils import make_mocked_request

from hearing_server.domain.exceptions import PayloadTooLarge
from hearing_server.web.signing_routes import _large_body

BODY = json.dumps({"manifest": "{}", "signature_image": "A" * 20_000}).encode()


def _arriving(first: bytes, rest: bytes) -> StreamReader:
    """A request body of which ``first`` has arrived; ``rest`` arrives once the reader waits
    (on a slow phone link, the next TCP segments)."""
    loop = asyncio.get_running_loop()
    reader = StreamReader(mock.Mock(_reading_paused=False), 2**16, loop=loop)
    reader.feed_data(first)

    def arrive() -> None:
        reader.feed_data(rest)
        reader.feed_eof()

    loop.call_soon(arrive)  # runs only when the handler suspends waiting for more
    return reader


def _request(reader: StreamReader) -> object:
    return make_mocked_request(
        "POST", "/api/hearings/1/signing/signatures",
        headers={"Content-Type": "application/json"}, payload=reader,
    )  # fmt: skip


async def test_a_body_arriving_in_pieces_is_read_whole() -> None:
    reader = _arriving(BODY[:1000], BODY[1000:])
    data = await _large_body(_request(reader), 64 * 1024)  # type: ignore[arg-type]
    assert data == json.loads(BODY)


async def test_a_body_over_the_limit_is_refused_even_in_pieces() -> None:
    reader = _arriving(BODY[:1000], BODY[1000:])
    with pytest.raises(PayloadTooLarge):
        await _large_body(_request(reader), 10_000)  # type: ignore[arg-type]
