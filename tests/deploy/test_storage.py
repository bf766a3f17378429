"""The project's instance storages (pipeline_defs/storage.py): Dagster's own storages that keep their database
connections open. Events, partitions and runs must read back exactly as with Dagster's classes; what changes is
how many connections a run opens."""


import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy
import yaml

from pipeline_defs.storage import OPEN_RUN_SHARDS, PooledSqliteEventLogStorage
from reelquant.cli import _EARLIER_INSTANCE_YAMLS, LOCAL_INSTANCE_YAML, _instance_env

REPO = Path(__file__).resolve().parents[2]
lessons = dg.DynamicPartitionsDefinition(name="lessons")


@dg.asset(partitions_def=lessons)
def words(context: dg.AssetExecutionContext) -> list[str]:
    return context.partition_key.split("-")


@dg.asset(partitions_def=lessons)
def word_count(context: dg.AssetExecutionContext, words: list[str]) -> int:
    context.log.info(f"{len(words)} words")
    return len(words)


@contextmanager
def counting_connects() -> Iterator[list[str]]:
    """Every DBAPI connection any SQLAlchemy engine opens while inside, by database URL."""
    opened: list[str] = []

    def on_connect(dbapi_conn, record) -> None:  # noqa: ANN001
        if hasattr(dbapi_conn, "dsn"):  # psycopg2
            opened.append(dbapi_conn.dsn)
        else:  # sqlite3: the file this connection opened
            opened.append(dbapi_conn.execute("PRAGMA database_list").fetchall()[0][2])

    sqlalchemy.event.listen(sqlalchemy.engine.Engine, "connect", on_connect)
    try:
        yield opened
    finally:
        sqlalchemy.event.remove(sqlalchemy.engine.Engine, "connect", on_connect)


def materialize(instance: dg.DagsterInstance, key: str) -> dg.ExecuteInProcessResult:
    instance.add_dynamic_partitions("lessons", [key])
    result = dg.materialize([words, word_count], instance=instance, partition_key=key)
    assert result.success
    return result


def assert_stored(instance: dg.DagsterInstance, result: dg.ExecuteInProcessResult, key: str) -> None:
    """The run's log holds every event the run emitted, and the latest materialization is this partition's."""
    stored = instance.all_logs(result.run_id)
    stored_types = iter([e.dagster_event.event_type_value for e in stored if e.dagster_event])
    # In order; the log also holds what the run does not hand back (materialization planned, engine events).
    assert all(e.event_type_value in stored_types for e in result.all_events)
    assert any(e.user_message.endswith("words") for e in stored if not e.dagster_event)
    latest = instance.get_latest_materialization_event(dg.AssetKey("word_count"))
    assert latest is not None and latest.run_id == result.run_id
    assert latest.dagster_event.partition == key
    assert instance.get_run_by_id(result.run_id).status == dg.DagsterRunStatus.SUCCESS


@pytest.fixture
def local_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A local instance exactly as `reelquant demo` / `reelquant ui` create it."""
    home = tmp_path / "dagster"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("REELQUANT_HOME", str(tmp_path))
    _instance_env(tmp_path)
    return home


def test_local_instance_is_sqlite_with_pooled_event_log(local_home: Path) -> None:
    assert (local_home / "dagster.yaml").read_text() == LOCAL_INSTANCE_YAML
    with dg.DagsterInstance.get() as instance:
        assert isinstance(instance.event_log_storage, PooledSqliteEventLogStorage)
        assert type(instance.run_storage).__name__ == "SqliteRunStorage"
        with counting_connects() as opened:
            result = materialize(instance, "buy-the-dip")
        assert_stored(instance, result, "buy-the-dip")
        stored = len(instance.all_logs(result.run_id))
    # Files where Dagster's own SQLite storage puts them: any Dagster tool can read this instance.
    assert (local_home / "history" / "runs.db").exists()
    assert (local_home / "history" / "runs" / "index.db").exists()
    assert (local_home / "history" / "runs" / f"{result.run_id}.db").exists()
    # One connection per event-log file (index, the run's shard) and per other storage, not one per statement:
    # the run stored 20 events or more and looked its partition up several times per step.
    event_log_connects = [u for u in opened if "history/runs/" in u]
    assert stored >= 20
    assert len(event_log_connects) <= 4, event_log_connects


def test_earlier_local_config_is_updated_and_a_users_own_is_kept(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "dagster"
    home.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("REELQUANT_HOME", str(tmp_path))
    for earlier in _EARLIER_INSTANCE_YAMLS:
        (home / "dagster.yaml").write_text(earlier)
        _instance_env(tmp_path)
        assert (home / "dagster.yaml").read_text() == LOCAL_INSTANCE_YAML
    own = "telemetry:\n  enabled: true\n"
    (home / "dagster.yaml").write_text(own)
    _instance_env(tmp_path)
    assert (home / "dagster.yaml").read_text() == own


def test_old_run_shards_close_and_reopen_and_wipe_leaves_no_stale_connection(local_home: Path) -> None:
    with dg.DagsterInstance.get() as instance:
        storage = instance.event_log_storage
        results = [materialize(instance, "lesson-0")]
        first_log = [e.dagster_event_type for e in instance.all_logs(results[0].run_id)]
        results += [materialize(instance, f"lesson-{i}") for i in range(1, OPEN_RUN_SHARDS + 3)]
        assert len(storage._engines) == OPEN_RUN_SHARDS + 1  # the index and the newest run shards
        assert results[0].run_id not in storage._engines
        oldest = instance.all_logs(results[0].run_id)  # a closed shard opens again on demand
        assert [e.dagster_event_type for e in oldest] == first_log and len(first_log) > 20
        instance.wipe()
        # The run shards' files are gone and so are their engines; the index (emptied, not deleted) may reopen.
        assert instance.get_runs() == [] and set(storage._engines) <= {"index"}
        again = materialize(instance, "after-wipe")
        assert_stored(instance, again, "after-wipe")


WRITER = textwrap.dedent("""
    import sys
    import dagster as dg
    from tests.deploy.test_storage import materialize
    with dg.DagsterInstance.get() as instance:
        for i in range(8):
            materialize(instance, f"{sys.argv[1]}-{i}")
""")


def test_two_processes_write_one_local_instance_at_once(local_home: Path) -> None:
    """A run worker and the daemon (or two run workers) share the SQLite files; held connections must not
    lock each other out or lose writes."""
    script = WRITER
    with dg.DagsterInstance.get():  # the instance exists before any run, as `reelquant ui` creates it
        pass
    env = {**os.environ, "DAGSTER_HOME": str(local_home)}
    procs = [subprocess.Popen([sys.executable, "-c", script, name], env=env, cwd=REPO,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for name in ("alpha", "beta")]
    for proc in procs:
        out, _ = proc.communicate(timeout=300)
        assert proc.returncode == 0, out[-3000:]
    with dg.DagsterInstance.get() as instance:
        keys = sorted(instance.get_dynamic_partitions("lessons"))
        assert keys == sorted(f"{n}-{i}" for n in ("alpha", "beta") for i in range(8))
        runs = instance.get_runs()
        assert len(runs) == 16 and all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs)
        records = instance.fetch_materializations(dg.AssetKey("word_count"), limit=100).records
        assert sorted(r.partition_key for r in records) == keys


def test_production_storage_holds_one_connection_and_survives_a_postgres_restart(pg_home: Path) -> None:
    config = yaml.safe_load((pg_home / "dagster.yaml").read_text())
    assert config["storage"]["custom"]["class"] == "PooledPostgresStorage"
    with dg.DagsterInstance.from_config(str(pg_home)) as instance:
        assert instance.get_ref().storage_data.class_name == "PooledPostgresStorage"
        materialize(instance, "warm-up")
        with counting_connects() as opened:
            result = materialize(instance, "golden-cross")
        assert_stored(instance, result, "golden-cross")
        # Warm, a run reuses the event log's and the run storage's open connections.
        assert len(instance.all_logs(result.run_id)) >= 20 and len(opened) <= 2, opened

        cluster = sorted(os.listdir("/etc/postgresql"))[-1]
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", cluster, "main", "restart"], check=True,
                       timeout=120)
        # The held connections died with the server; each is pinged before use and replaced.
        after = materialize(instance, "after-restart")
        assert_stored(instance, after, "after-restart")
        assert sorted(instance.get_dynamic_partitions("lessons")) == ["after-restart", "golden-cross", "warm-up"]
