"""The production instance config against a real Postgres: runs, events, partitions and cursors survive a restart."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from pipeline_defs.environment import resources_for
from pipeline_defs.runner import process_videos
from pipeline_defs.sensors import video_drop_sensor
from resources import MediaStoreResource
from tests.pipeline.helpers import drop


def _instance(home: Path) -> dg.DagsterInstance:
    return dg.DagsterInstance.from_config(str(home))


def _dagster_cli(home: Path, *args: str) -> None:
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("dagster")), *args, "-m", "pipeline_defs.definitions"],
        capture_output=True, text=True, env=env, timeout=300, cwd=Path(__file__).resolve().parents[2],
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_instance_uses_postgres_and_queued_runs(pg_home: Path) -> None:
    with _instance(pg_home) as instance:
        # dagster-postgres's storages, built by the project's class that keeps their connections open
        assert instance.get_ref().storage_data.class_name == "PooledPostgresStorage"
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        assert type(instance.schedule_storage).__name__ == "PostgresScheduleStorage"
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        assert instance.run_retries_enabled and instance.run_retries_max_retries == 2


def test_partitions_and_sensor_cursor_survive_a_new_instance(pg_home: Path, sample_videos, tmp_path) -> None:
    store = MediaStoreResource(root=str(tmp_path / "rq"))
    drop(sample_videos[0], store.inbox)
    with _instance(pg_home) as daemon:
        ctx = dg.build_sensor_context(instance=daemon, cursor=None, resources={"media_store": store})
        first = video_drop_sensor(ctx)
        ctx = dg.build_sensor_context(instance=daemon, cursor=first.cursor, resources={"media_store": store})
        second = video_drop_sensor(ctx)
        assert len(second.run_requests) == 1
        key = second.run_requests[0].partition_key
        daemon.add_dynamic_partitions("videos", [key])
    # The cursor is written the way an operator would, through the CLI, into the instance's storage.
    _dagster_cli(pg_home, "sensor", "cursor", "video_drop_sensor", "--set", second.cursor)

    drop(sample_videos[0], store.inbox)  # the same video again, after the "restart"
    with _instance(pg_home) as restarted:
        assert key in restarted.get_dynamic_partitions("videos")
        states = [s for s in restarted.all_instigator_state() if s.name == "video_drop_sensor"]
        assert len(states) == 1
        cursor = states[0].instigator_data.cursor
        assert cursor == second.cursor
        ctx = dg.build_sensor_context(instance=restarted, cursor=cursor, resources={"media_store": store})
        again = video_drop_sensor(dg.build_sensor_context(
            instance=restarted, cursor=video_drop_sensor(ctx).cursor, resources={"media_store": store}))
        assert again.run_requests == []
        assert restarted.get_dynamic_partitions("videos").count(key) == 1


@pytest.mark.slow
def test_full_sample_run_is_stored_in_postgres(pg_home: Path, sample_videos, tmp_path) -> None:
    video = next(v for v in sample_videos if v.stem == "earnings_gap_story")
    root = tmp_path / "rq"
    with _instance(pg_home) as instance:
        runs = process_videos([video], root, instance, out_dir=tmp_path / "out", resources=resources_for("local", root))
        assert runs[0].error is None, runs[0].error
        run_id, key = runs[0].run_id, runs[0].key
    with _instance(pg_home) as restarted:
        run = restarted.get_run_by_id(run_id)
        assert run is not None and run.status == dg.DagsterRunStatus.SUCCESS
        record = restarted.get_latest_materialization_event(dg.AssetKey("strategy"))
        assert record.asset_materialization.partition == key
        assert record.run_id == run_id
        report = json.loads((tmp_path / "out" / key / "report.json").read_text())
        # The lesson needs earnings data: a single not-testable StrategySpec v2, nothing promoted.
        (spec,) = report["strategy_spec"]
        assert spec["version"] == 2 and spec["testable"] is False and report["promoted"] is False
