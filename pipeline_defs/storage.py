"""Instance storage that keeps its database connections open between statements.

Dagster's SQLite event log creates and disposes an SQLAlchemy engine for every statement, and dagster-postgres
connects anew for every statement (NullPool). A `strategy_job` run stores about 175 events and looks its
dynamic partition up about 200 times. On the 54 s sample (`bench/pipeline.py`, medians of 5, direct calls
about 10 s) a run's orchestration overhead was 1.7 s (18 %) on Dagster's SQLite storage and 3.6 s (35 %) on its
Postgres storage (`--stock`), against 0.5 s (5 %) and 0.6 s (6 %) with these classes. They are Dagster's own
storages with one change, how connections are made:

- `PooledSqliteStorage` (the local instance of `make demo` / `make ui`): one engine per database file, the index
  shard and the most recent run shards, each with a small pool; the lock Dagster takes around every statement
  is kept, so nothing runs concurrently that did not before.
- `PooledPostgresStorage` (production, dagster.yaml): event log and run storage hold a pool of one connection
  (plus overflow) that is checked with a ping before use, so a restarted Postgres costs a reconnect, not a
  failed run. Schedule storage (daemon ticks, a few statements a minute) keeps Dagster's NullPool.

Select them in dagster.yaml with `storage: custom: {module: pipeline_defs.storage, class: ...}`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import sqlalchemy
from dagster._config.config_schema import UserConfigSchema
from dagster._core.storage.config import pg_config
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SQLITE_BUSY_TIMEOUT_SECONDS,
    SqliteEventLogStorage,
)
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage, _event_logs_directory
from dagster._serdes import ConfigurableClassData
from dagster_postgres.storage import DagsterPostgresStorage
from dagster_postgres.utils import create_pg_engine, get_token_provider_from_config, pg_url_from_config
from sqlalchemy.engine import Connection

# Run shards whose engines stay open: a run writes to its own shard and the index; the webserver reads a few.
OPEN_RUN_SHARDS = 8
# Postgres: connections a storage object may hold at once (1 kept open + overflow for concurrent threads).
PG_POOL = {"pool_size": 1, "max_overflow": 4, "pool_pre_ping": True, "pool_recycle": 3600}


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """Dagster's run-sharded SQLite event log, with an open engine per shard instead of one per statement."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        self._engines: OrderedDict[str, sqlalchemy.engine.Engine] = OrderedDict()
        self._engines_lock = threading.Lock()
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData | None,
                          config_value: Any) -> PooledSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def _engine_for(self, shard: str) -> sqlalchemy.engine.Engine:
        with self._engines_lock:
            engine = self._engines.get(shard)
            if engine is None:
                engine = create_engine(self.conn_string_for_shard(shard), pool_size=2, max_overflow=2,
                                       connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS})
                self._engines[shard] = engine
                runs = [s for s in self._engines if s != INDEX_SHARD_NAME]
                for old in runs[:-OPEN_RUN_SHARDS]:
                    self._engines.pop(old).dispose()
            self._engines.move_to_end(shard)
            return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:  # same contract as Dagster's, minus the engine churn
        with self._db_lock:
            engine = self._engine_for(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def has_table(self, table_name: str) -> bool:  # asked before every partition lookup; Dagster's opens an engine
        engine = self._engine_for(INDEX_SHARD_NAME)
        with engine.connect() as conn:
            return bool(engine.dialect.has_table(conn, table_name))

    def _dispose_engines(self) -> None:
        with self._engines_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()

    def wipe(self) -> None:
        self._dispose_engines()  # the shard files are unlinked: no connection may outlive them
        super().wipe()

    def dispose(self) -> None:
        super().dispose()
        self._dispose_engines()


class PooledSqliteStorage(DagsterSqliteStorage):
    """`storage: sqlite` with the pooled event log; runs and schedules are Dagster's SQLite storages."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        super().__init__(base_dir, inst_data=inst_data)
        self._event_log_storage.dispose()
        self._event_log_storage = PooledSqliteEventLogStorage(_event_logs_directory(base_dir))

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData, config_value: Any) -> PooledSqliteStorage:
        return cls.from_local(inst_data=inst_data, **config_value)


def _pooled(storage: Any) -> None:
    """Swap a dagster-postgres storage's NullPool engine for a small pinged pool on the same URL."""
    storage._engine.dispose()
    storage._engine = create_pg_engine(storage.postgres_url, storage._token_provider, isolation_level="AUTOCOMMIT",
                                       **PG_POOL)


class PooledPostgresStorage(DagsterPostgresStorage):
    """`storage: postgres` with pooled event log and run storage; configured exactly like it (`postgres_db`)."""

    def __init__(self, postgres_url: str, should_autocreate_tables: bool = True,
                 inst_data: ConfigurableClassData | None = None, token_provider: Any = None) -> None:
        super().__init__(postgres_url, should_autocreate_tables, inst_data=inst_data, token_provider=token_provider)
        for storage in (self._event_log_storage, self._run_storage):
            _pooled(storage)

    @classmethod
    def config_type(cls) -> UserConfigSchema:
        return pg_config()

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData | None,
                          config_value: Mapping[str, Any]) -> PooledPostgresStorage:
        return cls(postgres_url=pg_url_from_config(config_value),
                   should_autocreate_tables=config_value.get("should_autocreate_tables", True),
                   inst_data=inst_data, token_provider=get_token_provider_from_config(config_value))
