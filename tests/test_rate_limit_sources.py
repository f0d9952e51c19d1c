"""Failures count per account and source together, with back-off: a guesser elsewhere cannot
lock out the owner, parties behind one address do not lock each other out, and the wider
per-source and per-account counters still stop guessing at scale (docs/api.md)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from tests.support.api import ApiClient
from tests.support.clock import FakeClock

RIGHT = {"username": "judge", "password": "judge-password-1"}
WRONG = {"username": "judge", "password": "nope"}


@pytest.fixture
async def from_address(
    server: TestServer,
) -> AsyncIterator[Callable[[str], Awaitable[ApiClient]]]:
    """A client whose connections come from ``address`` (any of 127.0.0.0/8 on loopback)."""
    clients: list[ApiClient] = []

    async def make(address: str) -> ApiClient:
        client = ApiClient(str(server.make_url("/")))
        jar = client.session.cookie_jar
        await client.session.close()
        client.session = aiohttp.ClientSession(
            cookie_jar=jar, connector=aiohttp.TCPConnector(local_addr=(address, 0)),
            timeout=aiohttp.ClientTimeout(total=20),
        )  # fmt: skip
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


async def test_a_guesser_elsewhere_does_not_lock_out_the_owner(
    from_address: Callable[[str], Awaitable[ApiClient]], staff_users: Any
) -> None:
    guesser = await from_address("127.0.0.2")
    for _ in range(5):
        assert (await guesser.post("/api/auth/login", WRONG)).status == 401
    assert (await guesser.post("/api/auth/login", RIGHT)).status == 429
    owner = await from_address("127.0.0.3")
    assert (await owner.post("/api/auth/login", RIGHT)).status == 200


async def test_parties_behind_one_address_do_not_lock_each_other_out(
    hearing_with_parties: dict[str, Any], new_client: Callable[[], ApiClient]
) -> None:
    plaintiff = hearing_with_parties["invitations"]["plaintiff"]
    defendant = hearing_with_parties["invitations"]["defendant"]
    wrong = "1" if plaintiff["access_code"][-1] != "1" else "2"
    mistyping = new_client()
    for _ in range(6):
        await mistyping.post(
            "/api/party/exchange",
            {"account": plaintiff["account"], "code": plaintiff["access_code"][:-1] + wrong},
        )
    right = {"account": defendant["account"], "code": defendant["access_code"]}
    assert (await new_client().post("/api/party/exchange", right)).status == 200


async def test_lockouts_back_off(
    new_client: Callable[[], ApiClient], staff_users: Any, clock: FakeClock
) -> None:
    client = new_client()
    for _ in range(5):
        await client.post("/api/auth/login", WRONG)
    clock.advance(seconds=61)
    for _ in range(5):
        assert (await client.post("/api/auth/login", WRONG)).status == 401
    second = await client.post("/api/auth/login", RIGHT)
    assert second.status == 429
    assert 61 <= int(second.headers["Retry-After"]) <= 120  # twice the first lockout
    clock.advance(seconds=61)
    assert (await client.post("/api/auth/login", RIGHT)).status == 429
    clock.advance(seconds=60)
    assert (await client.post("/api/auth/login", RIGHT)).status == 200


async def test_a_distributed_guess_locks_new_sources_not_the_owners(
    from_address: Callable[[str], Awaitable[ApiClient]], staff_users: Any
) -> None:
    owner = await from_address("127.0.0.3")
    assert (await owner.post("/api/auth/login", RIGHT)).status == 200
    for source in range(10, 15):  # 5 sources x 4 guesses: 20 on the account
        guesser = await from_address(f"127.0.0.{source}")
        for _ in range(4):
            assert (await guesser.post("/api/auth/login", WRONG)).status == 401
    newcomer = await from_address("127.0.0.50")
    assert (await newcomer.post("/api/auth/login", RIGHT)).status == 429
    assert (await owner.post("/api/auth/login", RIGHT)).status == 200


async def test_one_source_guessing_many_accounts_is_stopped(
    from_address: Callable[[str], Awaitable[ApiClient]], staff_users: Any
) -> None:
    sprayer = await from_address("127.0.0.7")
    for index in range(50):
        guess = {"username": f"user{index}", "password": "nope"}
        assert (await sprayer.post("/api/auth/login", guess)).status == 401
    assert (await sprayer.post("/api/auth/login", RIGHT)).status == 429
    other = await from_address("127.0.0.8")
    assert (await other.post("/api/auth/login", RIGHT)).status == 200
