"""Export kinds are named by the composition root, not registered by importing a module."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web

import hearing_server.services.bundle  # noqa: F401  (importing it must register nothing)
from hearing_server.app import export_kinds
from hearing_server.services.export_jobs import ExportJobs
from hearing_server.settings import Settings
from hearing_server.web.keys import DATABASE
from tests.support.api import ApiClient
from tests.support.clock import FakeClock


async def test_the_app_offers_the_kinds_it_names(hearing_with_parties: dict[str, Any]) -> None:
    judge: ApiClient = hearing_with_parties["judge"]
    listed = await judge.get(f"/api/hearings/{hearing_with_parties['hearing_id']}/exports")
    assert listed.status == 200, listed.body
    assert listed.body["kinds"] == sorted(export_kinds()) == ["bundle", "tracks", "video"]


async def test_jobs_run_only_the_kinds_they_were_given(
    app: web.Application, settings: Settings
) -> None:
    async def no_one(hearing_id: int, payload: dict[str, Any]) -> None: ...

    jobs = ExportJobs(database=app[DATABASE], settings=settings, clock=FakeClock(), notify=no_one)
    try:
        assert jobs.kind_names() == []
        with pytest.raises(ValueError, match="unknown export kind 'bundle'"):
            await jobs.start(1, "bundle", actor="staff:judge", language="zh-CN")
    finally:
        await jobs.close()
    with pytest.raises(ValueError, match="short identifier"):
        ExportJobs(database=app[DATABASE], settings=settings, clock=FakeClock(), notify=no_one,
                   kinds={"not a name": export_kinds()["video"]})  # fmt: skip
