"""Database engine and sessions: SQLite (default, under the data dir) or PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine.url import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from hearing_server.domain.exceptions import ConfigError
from hearing_server.store import schema, signing_models  # noqa: F401  (their tables join the schema)
from hearing_server.store.models import metadata

log = logging.getLogger(__name__)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def _copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite database (its online backup API)."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


class Database:
    """Owns the engine. Writes go through one lock so that log appends never race."""

    def __init__(self, url: str) -> None:
        try:
            parsed = make_url(url)
        except Exception as exc:  # sqlalchemy raises ArgumentError with its own text
            raise ConfigError(f"invalid database URL: {exc}") from None
        self.url = url
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        self._sqlite_path: Path | None = None
        if self.is_sqlite and parsed.database and parsed.database != ":memory:":
            self._sqlite_path = Path(parsed.database)
            self._sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        self.engine: AsyncEngine = create_async_engine(url, pool_pre_ping=not self.is_sqlite)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self._write_lock = asyncio.Lock()

    async def create_schema(
        self,
        *,
        now: datetime,
        target: int = schema.SCHEMA_VERSION,
        steps: Mapping[int, schema.Step] = schema.MIGRATIONS,
    ) -> schema.Prepared:
        """Create or migrate the schema to this server's version (see ``schema``)."""
        if self.is_sqlite and self._sqlite_path is not None:
            async with self.engine.connect() as connection:
                found = await connection.run_sync(schema.found_version)
            if found is not None and found < target:
                backup = self._sqlite_path.with_name(
                    f"{self._sqlite_path.name}.schema-v{found}.bak"
                )
                await asyncio.to_thread(_copy_sqlite, self._sqlite_path, backup)
                log.info("database schema: copied the version %d database to %s", found, backup)
        async with self.engine.begin() as connection:
            prepared = await connection.run_sync(
                lambda sync: schema.prepare(sync, now=now, target=target, steps=steps)
            )
        if prepared.found != prepared.version:
            log.info("database schema: version %s -> %s", prepared.found, prepared.version)
        return prepared

    async def drop_schema(self) -> None:
        async with self.engine.begin() as connection:
            await connection.run_sync(metadata.drop_all)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with AsyncSession(self.engine, expire_on_commit=False) as session:
            yield session

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """One transaction, committed on success and rolled back on any error."""
        async with self._write_lock:
            async with AsyncSession(self.engine, expire_on_commit=False) as session:
                async with session.begin():
                    yield session

    async def close(self) -> None:
        await self.engine.dispose()
