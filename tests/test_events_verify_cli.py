"""Tampering with one event-log row makes ``hearing-server events verify`` fail and name it."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy import text

from hearing_server.settings import Settings
from hearing_server.web.keys import DATABASE
from tests.support.api import ApiClient
from tests.support.processes import run_cli


async def test_tampered_row_is_named(
    hearing_with_parties: dict[str, Any], app: web.Application, settings: Settings
) -> None:
    judge: ApiClient = hearing_with_parties["judge"]
    hid = hearing_with_parties["hearing_id"]
    await judge.post(f"/api/hearings/{hid}/transitions", {"action": "open_lobby"})
    env = {"HEARING_DATABASE_URL": settings.effective_database_url}
    clean = await run_cli("events", "verify", str(hid), env=env)
    assert clean.returncode == 0, clean.stderr
    assert "event log intact" in clean.stdout

    events = (await judge.get(f"/api/hearings/{hid}/events")).body["events"]
    target = events[3]
    async with app[DATABASE].write() as session:
        await session.exec(  # type: ignore[call-overload]
            text(
                "UPDATE hearing_events SET payload = :payload "
                "WHERE hearing_id = :hid AND seq = :seq"
            ).bindparams(payload='{"forged":true}', hid=hid, seq=target["seq"])
        )
    tampered = await run_cli("events", "verify", str(hid), env=env)
    assert tampered.returncode == 1
    assert f"event seq {target['seq']}" in tampered.stdout
    assert "content does not match its hash" in tampered.stdout
    api_view = await judge.get(f"/api/hearings/{hid}/events")
    assert api_view.body["intact"] is False


async def test_deleted_last_row_is_detected(
    hearing_with_parties: dict[str, Any], app: web.Application, settings: Settings
) -> None:
    hid = hearing_with_parties["hearing_id"]
    async with app[DATABASE].write() as session:
        await session.exec(  # type: ignore[call-overload]
            text(
                "DELETE FROM hearing_events WHERE hearing_id = :hid AND seq = "
                "(SELECT MAX(seq) FROM hearing_events WHERE hearing_id = :hid)"
            ).bindparams(hid=hid)
        )
    env = {"HEARING_DATABASE_URL": settings.effective_database_url}
    result = await run_cli("events", "verify", str(hid), env=env)
    assert result.returncode == 1
    assert "the hearing records" in result.stdout


async def test_unknown_hearing_is_a_clear_error(settings: Settings, app: web.Application) -> None:
    env = {"HEARING_DATABASE_URL": settings.effective_database_url}
    result = await run_cli("events", "verify", "4242", env=env)
    assert result.returncode == 2
    assert "hearing 4242 not found" in result.stderr
    assert "Traceback" not in result.stderr
