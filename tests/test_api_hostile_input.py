"""Hostile REST input gets a clear JSON error with the security headers, never a 500:
a lone surrogate escape in a body, unknown paths and methods outside /api/."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

LONE_SURROGATE_BODIES = [
    ("/api/auth/login", b'{"username": "\\ud800", "password": "x"}'),
    ("/api/auth/login", b'{"username": "judge", "password": "a\\udfffb"}'),
    ("/api/party/exchange", b'{"account": "\\ud800", "code": "123456"}'),
    ("/api/party/exchange", b'{"token": "\\udfff"}'),
    ("/api/party/exchange", b'{"account": "1234567890", "code": "1", "x": ["\\ud800"]}'),
    ("/api/party/exchange", b'{"\\ud800": 1}'),
]


async def _post(server: TestServer, path: str, body: bytes) -> tuple[int, Any]:
    url = server.make_url(path)
    headers = {"Content-Type": "application/json", "Origin": str(server.make_url("/"))[:-1]}
    async with aiohttp.ClientSession() as client, client.post(url, data=body, headers=headers) as r:
        return r.status, await r.json()


@pytest.mark.parametrize(("path", "body"), LONE_SURROGATE_BODIES)
async def test_lone_surrogate_is_a_400(
    server: TestServer, staff_users: Any, path: str, body: bytes
) -> None:
    status, reply = await _post(server, path, body)
    assert status == 400, reply
    assert reply["error"]["code"] == "invalid_request"
    assert "surrogate" in reply["error"]["message"]


async def test_a_paired_surrogate_escape_is_text(server: TestServer, staff_users: Any) -> None:
    status, reply = await _post(
        server, "/api/auth/login", b'{"username": "judge", "password": "\\ud83d\\ude00"}'
    )
    assert status == 401, reply  # an emoji: a wrong password, not a bad body


@pytest.mark.parametrize(
    ("method", "path", "status", "as_json"),
    [
        ("GET", "/no-such-page", 404, True),
        ("GET", "/static/../../etc/passwd", 404, True),
        ("POST", "/healthz", 405, True),
        ("DELETE", "/join", 405, True),
        # aiohttp's file response finds the file missing only when it is sent: an empty 404
        ("GET", "/static/no-such-file.js", 404, False),
    ],
)
async def test_errors_outside_api_are_json_with_security_headers(
    server: TestServer, method: str, path: str, status: int, as_json: bool
) -> None:
    async with (
        aiohttp.ClientSession() as client,
        client.request(method, server.make_url(path)) as reply,
    ):
        assert reply.status == status
        if as_json:
            assert reply.content_type == "application/json"
            body = await reply.json()
            assert body["error"]["code"] in {"not_found", "method_not_allowed"}
        assert reply.headers["X-Frame-Options"] == "DENY"
        assert reply.headers["X-Content-Type-Options"] == "nosniff"
        assert "frame-ancestors 'none'" in reply.headers["Content-Security-Policy"]
        if status == 405:
            assert reply.headers["Allow"]
