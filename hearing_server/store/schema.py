"""The database schema's version, and the steps that bring an older database up to it.

``create_all`` makes a new database whole but never changes a table that already exists, so an
upgraded server would otherwise run on yesterday's tables. The schema therefore carries a
version (table ``schema_version``, one row), and a server runs only on a database of its own
version:

- no tables yet: create them all, stamp ``SCHEMA_VERSION``;
- tables but no version (made before versioning existed): they are version 1; stamp it;
- an older version: first ``create_all`` (tables new in later versions), then each step in
  ``MIGRATIONS`` from the database's version up, in the one transaction that also writes the
  new version. PostgreSQL rolls the DDL back with it if a step fails; Python's sqlite3 commits
  DDL as it goes, so ``Database`` first copies a SQLite file that is about to be migrated to
  ``<file>.schema-v<N>.bak`` (N: the version it held);
- a newer version: refuse to start. That database was written by a newer server; an older one
  would misread it. Run the newer server, or restore a backup taken before the upgrade.

A step alters tables that exist (add a column, backfill, add an index); new tables come from
``create_all``. Steps are synchronous functions of a SQLAlchemy ``Connection``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Table, insert, inspect, update
from sqlmodel import Field, SQLModel, col, select

from hearing_server.domain.exceptions import ConfigError
from hearing_server.store.models import _utc_column, metadata

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
Step = Callable[[Connection], None]
# MIGRATIONS[n] brings a database from version n - 1 to version n.
MIGRATIONS: Mapping[int, Step] = {}
_TABLE = "schema_version"


class SchemaVersion(SQLModel, table=True):
    __tablename__ = _TABLE

    id: int = Field(default=1, primary_key=True)
    version: int
    changed_at: datetime = Field(sa_column=_utc_column())


@dataclass(frozen=True)
class Prepared:
    found: int | None  # the database's version before (None: it was empty)
    version: int  # its version now


def found_version(connection: Connection) -> int | None:
    """The database's schema version; None when it has none of our tables yet."""
    tables = set(inspect(connection).get_table_names())
    if _TABLE in tables:
        version: int | None = connection.execute(
            select(col(SchemaVersion.version))
        ).scalar_one_or_none()
        return version
    return 1 if tables & set(metadata.tables) else None


def prepare(
    connection: Connection,
    *,
    now: datetime,
    target: int = SCHEMA_VERSION,
    steps: Mapping[int, Step] = MIGRATIONS,
) -> Prepared:
    """Bring the database on ``connection`` (inside a transaction) to version ``target``."""
    found = found_version(connection)
    if found is not None and found > target:
        raise ConfigError(
            f"the database's schema is version {found}, newer than this server's ({target}):"
            " it was written by a newer Hearing Server. Run that version, or restore a backup"
            " taken before the upgrade."
        )
    missing = [version for version in range(1 if found is None else found + 1, target + 1)
               if version > 1 and version not in steps]  # fmt: skip
    if missing:
        raise ConfigError(f"no migration step to schema version {missing[0]}")
    metadata.create_all(connection)
    if found is not None:
        for version in range(found + 1, target + 1):
            log.info("database schema: migrating from version %d to %d", version - 1, version)
            steps[version](connection)
    table: Table = SchemaVersion.__table__  # type: ignore[attr-defined]
    if connection.execute(select(col(SchemaVersion.id))).first() is None:
        connection.execute(insert(table).values(id=1, version=target, changed_at=now))
    elif found != target:
        connection.execute(update(table).values(version=target, changed_at=now))
    return Prepared(found, target)
