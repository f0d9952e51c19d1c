"""Sign-in and credential exchange: 5 failures a minute, then 429, then the right user gets in."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hearing_server.domain.ratelimit import FailureLimiter
from tests.support.api import ApiClient
from tests.support.clock import FakeClock


def test_limiter_window_slides() -> None:
    limiter = FailureLimiter(max_failures=2, window_s=60)
    limiter.record_failure("k", 0)
    assert limiter.retry_after("k", 1) is None
    limiter.record_failure("k", 10)
    assert limiter.retry_after("k", 11) == 49
    assert limiter.retry_after("k", 60.5) is None
    assert limiter.retry_after("other", 11) is None
    limiter.reset("k")
    assert limiter.retry_after("k", 11) is None


def test_limiter_forgets_oldest_keys_beyond_its_cap() -> None:
    limiter = FailureLimiter(max_failures=1, window_s=60, max_keys=3)
    for key in "abcd":
        limiter.record_failure(key, 0)
    assert limiter.retry_after("a", 1) is None
    assert limiter.retry_after("d", 1) == 59


async def test_login_rate_limit_then_the_right_user_gets_in(
    new_client: Callable[[], ApiClient], staff_users: Any, clock: FakeClock
) -> None:
    client = new_client()
    for _ in range(5):
        wrong = await client.post("/api/auth/login", {"username": "judge", "password": "nope"})
        assert wrong.status == 401
        assert wrong.body["error"]["message"] == "wrong username or password"
    right = {"username": "judge", "password": "judge-password-1"}
    limited = await client.post("/api/auth/login", right)
    assert limited.status == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    # Another client from the same address is limited too (the account and source together).
    clock.advance(seconds=30)
    assert (await new_client().post("/api/auth/login", right)).status == 429
    clock.advance(seconds=31)
    allowed = await client.post("/api/auth/login", right)
    assert allowed.status == 200


async def test_exchange_rate_limit_per_account(
    hearing_with_parties: dict[str, Any], new_client: Callable[[], ApiClient], clock: FakeClock
) -> None:
    package = hearing_with_parties["invitations"]["defendant"]
    party = new_client()
    wrong_code = "1" if package["access_code"][-1] != "1" else "2"
    for _ in range(5):
        reply = await party.post(
            "/api/party/exchange",
            {"account": package["account"], "code": package["access_code"][:-1] + wrong_code},
        )
        assert reply.status == 401
    right = {"account": package["account"], "code": package["access_code"]}
    assert (await party.post("/api/party/exchange", right)).status == 429
    clock.advance(seconds=61)
    assert (await party.post("/api/party/exchange", right)).status == 200
