"""The schema's version: a new database is stamped, an old one is migrated (a SQLite file copied
first), a newer one is refused with a clear message, by the library and by ``serve``."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from datetime import UTC, datetime

import pytest
from sqlalchemy import Connection, inspect, text

from hearing_server.domain.exceptions import ConfigError
from hearing_server.services.staff import create_staff
from hearing_server.settings import Settings
from hearing_server.store import schema
from hearing_server.store.db import Database
from hearing_server.store.models import StaffRole
from tests.conftest import reset_shared_database

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


async def _database(settings: Settings) -> Database:
    await reset_shared_database(settings)  # (drops schema_version too: it is in the metadata)
    return Database(settings.effective_database_url)


async def _version(database: Database) -> int | None:
    async with database.engine.connect() as connection:
        return await connection.run_sync(schema.found_version)


async def _add_judge(database: Database) -> None:
    async with database.write() as session:
        await create_staff(session, username="wang", display_name="王法官", role=StaffRole.JUDGE,
                           password="a-long-password", now=NOW)  # fmt: skip


async def _made_before_versioning(database: Database) -> None:
    """Version 1's tables holding one staff member, and no version row."""
    await database.create_schema(now=NOW)
    await _add_judge(database)
    async with database.engine.begin() as connection:
        await connection.execute(text("DROP TABLE schema_version"))


async def test_a_new_database_is_stamped_and_a_restart_changes_nothing(
    settings: Settings,
) -> None:
    database = await _database(settings)
    try:
        assert await _version(database) is None
        assert await database.create_schema(now=NOW) == schema.Prepared(None, 1)
        assert await _version(database) == schema.SCHEMA_VERSION == 1
        await _add_judge(database)
        assert await database.create_schema(now=NOW) == schema.Prepared(1, 1)
    finally:
        await database.close()
    assert not list(settings.data_dir.glob("*.bak"))  # nothing was migrated


async def test_a_database_from_before_versioning_is_version_one(settings: Settings) -> None:
    database = await _database(settings)
    try:
        await _made_before_versioning(database)
        assert await _version(database) == 1  # our tables, no version row
        assert await database.create_schema(now=NOW) == schema.Prepared(1, 1)
        async with database.engine.connect() as connection:
            count = (await connection.execute(text("SELECT count(*) FROM staff_users"))).scalar()
        assert count == 1
    finally:
        await database.close()


def _add_note_column(connection: Connection) -> None:
    connection.execute(text("ALTER TABLE staff_users ADD COLUMN migration_note VARCHAR(20)"))
    connection.execute(text("UPDATE staff_users SET migration_note = 'from v1'"))


def _index_notes(connection: Connection) -> None:
    connection.execute(text("CREATE INDEX ix_note ON staff_users (migration_note)"))


def _broken_step(connection: Connection) -> None:
    connection.execute(text("ALTER TABLE staff_users ADD COLUMN doomed VARCHAR(20)"))
    connection.execute(text("UPDATE no_such_table SET x = 1"))


async def test_an_older_database_is_migrated_step_by_step(settings: Settings) -> None:
    database = await _database(settings)
    try:
        await database.create_schema(now=NOW)
        await _add_judge(database)
        steps: dict[int, schema.Step] = {2: _add_note_column, 3: _index_notes}
        with pytest.raises(ConfigError, match="no migration step to schema version 4"):
            await database.create_schema(now=NOW, target=4, steps=steps)
        assert await database.create_schema(now=NOW, target=3, steps=steps) == schema.Prepared(1, 3)
        async with database.engine.connect() as connection:
            columns = await connection.run_sync(
                lambda sync: {c["name"] for c in inspect(sync).get_columns("staff_users")}
            )
            notes = (await connection.execute(text("SELECT migration_note FROM staff_users"))).all()
        assert "migration_note" in columns and [tuple(n) for n in notes] == [("from v1",)]
        assert await _version(database) == 3
        with pytest.raises(Exception, match="no_such_table"):
            await database.create_schema(now=NOW, target=4, steps={**steps, 4: _broken_step})
        assert await _version(database) == 3  # the failed step wrote no new version
        if not database.is_sqlite:  # and PostgreSQL took its DDL back (see schema's docstring)
            async with database.engine.connect() as connection:
                columns = await connection.run_sync(
                    lambda sync: {c["name"] for c in inspect(sync).get_columns("staff_users")}
                )
            assert "doomed" not in columns
    finally:
        await database.close()


async def test_a_newer_database_is_refused(settings: Settings) -> None:
    database = await _database(settings)
    try:
        await database.create_schema(now=NOW)
        async with database.engine.begin() as connection:
            await connection.execute(text("UPDATE schema_version SET version = 7"))
        with pytest.raises(ConfigError, match="version 7, newer than this server's"):
            await database.create_schema(now=NOW)
        assert await _version(database) == 7  # untouched
    finally:
        await database.close()
    if not settings.effective_database_url.startswith("sqlite"):
        return
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEARING_")}
    env["HEARING_DATA_DIR"] = str(settings.data_dir)
    env["HEARING_PORT"] = "1"  # never bound: the server stops before it listens
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hearing_server.cli", "serve", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        out, err = await asyncio.wait_for(process.communicate(), 60)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 2, (out, err)
    assert b"newer than this server" in err and b"Traceback" not in err + out, err


async def test_a_sqlite_file_is_copied_before_it_is_migrated(settings: Settings) -> None:
    if not settings.effective_database_url.startswith("sqlite"):
        pytest.skip("the copy is for SQLite files (PostgreSQL rolls DDL back)")
    database = await _database(settings)
    try:
        await _made_before_versioning(database)
        # as a newer server would, with its step to version 2
        migrated = await database.create_schema(now=NOW, target=2, steps={2: _add_note_column})
        assert migrated == schema.Prepared(1, 2)
    finally:
        await database.close()
    copy = settings.data_dir / "hearing.db.schema-v1.bak"
    with sqlite3.connect(copy) as backup:
        rows = backup.execute("SELECT * FROM staff_users").fetchall()
        columns = [c[0] for c in backup.execute("SELECT * FROM staff_users").description]
    backup.close()
    assert len(rows) == 1 and "migration_note" not in columns  # as it was before the step
