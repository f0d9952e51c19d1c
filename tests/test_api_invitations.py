"""Judge → hearing → invitations → party sessions scoped to one hearing and role."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from hearing_server.web.keys import PARTY_COOKIE
from tests.support.api import ApiClient
from tests.support.clock import FakeClock


async def test_judge_creates_hearing_and_invites_parties(
    hearing_with_parties: dict[str, Any],
) -> None:
    judge: ApiClient = hearing_with_parties["judge"]
    hearing_id = hearing_with_parties["hearing_id"]
    package = hearing_with_parties["invitations"]["plaintiff"]
    assert package["link"].startswith(judge.base_url + "/j/")
    assert package["account"].isdigit()
    assert len(package["account"]) == 10
    assert package["access_code"].isdigit()
    assert package["qr_svg"].lstrip().startswith("<svg")
    assert package["qr_png"].startswith("data:image/png;base64,")
    assert package["link"] in package["text"]["zh-CN"]
    assert package["access_code"] in package["text"]["en"]
    assert "张三" in package["text"]["zh-CN"]
    assert package["ics"].startswith("BEGIN:VCALENDAR\r\n")
    assert package["invitation"]["status"] == "not_yet_valid" or (
        package["invitation"]["status"] == "valid"
    )
    listing = await judge.get(f"/api/hearings/{hearing_id}/participants")
    roles = [p["role"] for p in listing.body["participants"]]
    assert roles == ["judge", "clerk", "plaintiff", "defendant"]
    events = await judge.get(f"/api/hearings/{hearing_id}/events")
    kinds = [e["kind"] for e in events.body["events"]]
    assert kinds.count("invitation.issued") == 2
    assert events.body["intact"] is True
    # The secrets are not stored: the status call shows no code.
    pid = package["participant"]["id"]
    status = await judge.get(f"/api/hearings/{hearing_id}/participants/{pid}/invitation")
    assert status.status == 200
    assert "access_code" not in status.body["invitation"]
    assert package["access_code"] not in str(status.body)


async def test_party_exchanges_link_for_a_scoped_session(
    hearing_with_parties: dict[str, Any], new_client: Callable[[], ApiClient]
) -> None:
    hearing_id = hearing_with_parties["hearing_id"]
    package = hearing_with_parties["invitations"]["plaintiff"]
    party = new_client()
    token = package["link"].rsplit("/", 1)[1]
    reply = await party.post("/api/party/exchange", {"token": token})
    assert reply.status == 200, reply.body
    assert reply.body["hearing_id"] == hearing_id
    assert reply.body["role"] == "plaintiff"
    assert party.cookie(PARTY_COOKIE) == reply.body["session_token"]
    me = await party.get("/api/auth/me")
    assert me.body == {
        "kind": "party",
        "hearing_id": hearing_id,
        "participant_id": package["participant"]["id"],
        "role": "plaintiff",
        "display_name": "张三",
    }
    view = await party.get(f"/api/hearings/{hearing_id}")
    assert view.status == 200
    assert view.body["you"]["role"] == "plaintiff"
    assert "phone" not in view.body["participants"][0]
    assert "event_head_hash" not in view.body["hearing"]


async def test_party_exchanges_account_and_code(
    hearing_with_parties: dict[str, Any], new_client: Callable[[], ApiClient]
) -> None:
    package = hearing_with_parties["invitations"]["defendant"]
    party = new_client()
    reply = await party.post(
        "/api/party/exchange",
        {"account": package["account"], "code": package["access_code"]},
    )
    assert reply.status == 200, reply.body
    assert reply.body["role"] == "defendant"
    # The bearer form works too (for clients without cookies).
    other = new_client()
    other.bearer = reply.body["session_token"]
    me = await other.get("/api/auth/me")
    assert me.body["participant_id"] == package["participant"]["id"]


async def test_credentials_work_once(
    hearing_with_parties: dict[str, Any], new_client: Callable[[], ApiClient]
) -> None:
    package = hearing_with_parties["invitations"]["plaintiff"]
    token = package["link"].rsplit("/", 1)[1]
    assert (await new_client().post("/api/party/exchange", {"token": token})).status == 200
    again = await new_client().post("/api/party/exchange", {"token": token})
    assert again.status == 401
    assert "already used" in again.body["error"]["message"]
    assert again.body["error"]["reason"] == "used"  # the page words it in its language
    by_code = await new_client().post(
        "/api/party/exchange", {"account": package["account"], "code": package["access_code"]}
    )
    assert by_code.status == 401


async def test_wrong_code_and_unknown_token_are_rejected(
    hearing_with_parties: dict[str, Any], new_client: Callable[[], ApiClient]
) -> None:
    package = hearing_with_parties["invitations"]["plaintiff"]
    wrong = "0" if package["access_code"][0] != "0" else "1"
    reply = await new_client().post(
        "/api/party/exchange",
        {"account": package["account"], "code": wrong + package["access_code"][1:]},
    )
    assert reply.status == 401
    assert reply.body["error"]["code"] == "credential_rejected"
    unknown = await new_client().post("/api/party/exchange", {"token": "x" * 43})
    assert unknown.status == 401
    # A wrong code and an unknown token read the same: nothing tells which accounts exist.
    assert reply.body["error"]["reason"] == unknown.body["error"]["reason"] == "invalid"


async def test_expired_and_not_yet_valid_credentials(
    hearing_with_parties: dict[str, Any], new_client: Callable[[], ApiClient], clock: FakeClock
) -> None:
    plaintiff = hearing_with_parties["invitations"]["plaintiff"]
    defendant = hearing_with_parties["invitations"]["defendant"]
    clock.advance(minutes=-60)  # 70 minutes before the start; window opens 30 minutes before
    early = await new_client().post(
        "/api/party/exchange", {"token": plaintiff["link"].rsplit("/", 1)[1]}
    )
    assert early.status == 401
    assert "not valid yet" in early.body["error"]["message"]
    assert early.body["error"]["reason"] == "not_yet_valid"
    clock.advance(minutes=60 + 10 + 90)  # the slot (90 min from its start) has ended
    late = await new_client().post(
        "/api/party/exchange",
        {"account": defendant["account"], "code": defendant["access_code"]},
    )
    assert late.status == 401
    assert "expired" in late.body["error"]["message"]
    assert late.body["error"]["reason"] == "expired"


async def test_revoked_and_reissued_credentials(
    hearing_with_parties: dict[str, Any], new_client: Callable[[], ApiClient]
) -> None:
    judge: ApiClient = hearing_with_parties["judge"]
    hearing_id = hearing_with_parties["hearing_id"]
    first = hearing_with_parties["invitations"]["plaintiff"]
    pid = first["participant"]["id"]
    second = await judge.post(f"/api/hearings/{hearing_id}/participants/{pid}/invitation")
    assert second.status == 201
    old = await new_client().post("/api/party/exchange", {"token": first["link"].rsplit("/", 1)[1]})
    assert old.status == 401
    assert "withdrawn" in old.body["error"]["message"]
    assert old.body["error"]["reason"] == "revoked"
    revoked = await judge.delete(f"/api/hearings/{hearing_id}/participants/{pid}/invitation")
    assert revoked.status == 200
    assert revoked.body["invitation"]["status"] == "revoked"
    new = await new_client().post(
        "/api/party/exchange", {"token": second.body["link"].rsplit("/", 1)[1]}
    )
    assert new.status == 401
    events = await judge.get(f"/api/hearings/{hearing_id}/events")
    kinds = [e["kind"] for e in events.body["events"]]
    assert "invitation.reissued" in kinds
    assert "invitation.revoked" in kinds


async def test_revoking_ends_an_exchanged_session(
    hearing_with_parties: dict[str, Any], new_client: Callable[[], ApiClient]
) -> None:
    judge: ApiClient = hearing_with_parties["judge"]
    hearing_id = hearing_with_parties["hearing_id"]
    package = hearing_with_parties["invitations"]["plaintiff"]
    party = new_client()
    await party.post("/api/party/exchange", {"token": package["link"].rsplit("/", 1)[1]})
    assert (await party.get(f"/api/hearings/{hearing_id}")).status == 200
    pid = package["participant"]["id"]
    await judge.delete(f"/api/hearings/{hearing_id}/participants/{pid}/invitation")
    assert (await party.get(f"/api/hearings/{hearing_id}")).status == 401


async def test_credentials_for_another_hearing_are_rejected(
    hearing_with_parties: dict[str, Any],
    new_client: Callable[[], ApiClient],
    sign_in: Callable[[str], Awaitable[ApiClient]],
    hearing_payload: Callable[..., dict[str, Any]],
) -> None:
    other_judge = await sign_in("judge2")
    other = await other_judge.post("/api/hearings", hearing_payload(case_number="OTHER-1"))
    package = hearing_with_parties["invitations"]["plaintiff"]
    reply = await new_client().post(
        "/api/party/exchange",
        {"token": package["link"].rsplit("/", 1)[1], "hearing_id": other.body["hearing"]["id"]},
    )
    assert reply.status == 401
    assert "another hearing" in reply.body["error"]["message"]
