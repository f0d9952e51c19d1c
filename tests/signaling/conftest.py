"""A hearing with an open lobby, a signed-in judge, and parties holding sessions."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from tests.support.api import ApiClient
from tests.support.sockets import SocketClient


@pytest.fixture
async def courtroom(
    hearing_with_parties: dict[str, Any], new_client: Callable[[], ApiClient]
) -> AsyncIterator[dict[str, Any]]:
    judge: ApiClient = hearing_with_parties["judge"]
    hid = hearing_with_parties["hearing_id"]
    opened = await judge.post(f"/api/hearings/{hid}/transitions", {"action": "open_lobby"})
    assert opened.status == 200
    parties: dict[str, dict[str, Any]] = {}
    for role, package in hearing_with_parties["invitations"].items():
        client = new_client()
        reply = await client.post(
            "/api/party/exchange", {"token": package["link"].rsplit("/", 1)[1]}
        )
        assert reply.status == 200
        parties[role] = reply.body
    sockets: list[SocketClient] = []

    def open_socket(*, as_party: str | None = None, **kwargs: Any) -> SocketClient:
        if as_party is not None:
            kwargs.setdefault("token", parties[as_party]["session_token"])
        else:
            kwargs.setdefault("cookie", f"hs_staff={judge.cookie('hs_staff')}")
        kwargs.setdefault("hearing_id", hid)
        client = SocketClient(judge.base_url, **kwargs)
        sockets.append(client)
        return client

    judge_me = (await judge.get("/api/hearings/" + str(hid))).body["you"]
    yield {
        "hearing_id": hid, "judge": judge, "judge_pid": judge_me["id"], "parties": parties,
        "open_socket": open_socket,
    }  # fmt: skip
    for client in sockets:
        await client.close()
