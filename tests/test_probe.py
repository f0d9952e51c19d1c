"""The device check's connection probe: signed-in callers only, bounded, never cached."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.support.api import ApiClient


async def test_probe_needs_a_session(new_client: Callable[[], ApiClient]) -> None:
    anonymous = new_client()
    assert (await anonymous.get("/api/probe?bytes=10")).status == 401
    assert (await anonymous.request("POST", "/api/probe", data=b"x" * 10)).status == 401


async def test_party_downloads_and_uploads_exact_sizes(
    hearing_with_parties: dict[str, Any], new_client: Callable[[], ApiClient]
) -> None:
    party = new_client()
    token = hearing_with_parties["invitations"]["plaintiff"]["link"].rsplit("/", 1)[1]
    assert (await party.post("/api/party/exchange", {"token": token})).status == 200
    async with party.session.get(
        party.base_url + "/api/probe?bytes=300000", headers={"Origin": party.base_url}
    ) as response:
        assert response.status == 200
        assert response.headers["Cache-Control"] == "no-store"
        body = await response.read()
    assert len(body) == 300_000
    assert len(set(body[:4096])) > 200  # random, so compression cannot flatter the figure
    binary = {"Content-Type": "application/octet-stream"}
    uploaded = await party.request("POST", "/api/probe", data=b"\x01" * 200_000, headers=binary)
    assert uploaded.status == 200 and uploaded.body == {"bytes": 200_000}


async def test_probe_refuses_bad_and_oversized_requests(
    sign_in: Callable[[str], Any],
) -> None:
    judge: ApiClient = await sign_in("judge")
    for query in ("bytes=-1", "bytes=abc", f"bytes={(1 << 20) + 1}"):
        reply = await judge.get(f"/api/probe?{query}")
        assert reply.status == 400, query
        assert reply.body["error"]["code"] == "invalid_request"
    too_big = await judge.request("POST", "/api/probe", data=b"\x00" * ((1 << 20) + 1))
    assert too_big.status == 413
    assert too_big.body["error"]["code"] == "payload_too_large"
    assert (await judge.get("/api/probe?bytes=0")).status == 200
