"""Faults survived: a transient engine error is retried, a killed run resumes from failure without duplicate
search rows, and a Postgres restart between sensor ticks loses and duplicates nothing."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import lancedb
import pytest

from pipeline_defs.definitions import build_defs
from pipeline_defs.environment import resources_for
from pipeline_defs.sensors import video_drop_sensor
from reelquant.ingest import partition_key, store_video
from reelquant.speech.subtitles import to_srt
from reelquant.speech.transcript import transcript_from_text
from resources import MediaStoreResource, TranscriberResource
from tests.pipeline.helpers import drop

REPO = Path(__file__).resolve().parents[2]


class FlakyTranscriber(TranscriberResource):
    """The real transcriber behind an engine that fails once, as a GPU out-of-memory or a lost device would."""

    failures_left: int = 1

    def transcribe(self, wav: Path, video: Path):
        marker = Path(str(wav) + ".failed-once")
        if not marker.exists():
            marker.write_text("transient failure injected")
            raise RuntimeError("CUDA error: out of memory (transient)")
        return super().transcribe(wav, video)


def _with_sidecar(src: Path, folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    video = folder / name
    shutil.copy(src, video)
    video.with_suffix(".srt").write_text(to_srt(transcript_from_text(src.with_suffix(".txt").read_text())))
    return video


def local_strategy_job() -> dg.JobDefinition:
    """The strategy job on the local environment ($REELQUANT_HOME), importable for re-execution."""
    return build_defs(resources_for("local")).resolve_job_def("strategy_job")


def _events(instance: dg.DagsterInstance, run_id: str, kind: dg.DagsterEventType) -> list:
    return [e for e in instance.all_logs(run_id) if e.dagster_event and e.dagster_event.event_type == kind]


@pytest.mark.slow
def test_transient_engine_failure_is_retried(tmp_path: Path, sample_videos, instance) -> None:
    src = next(v for v in sample_videos if v.stem == "earnings_gap_story")
    video = _with_sidecar(src, tmp_path / "in", "earnings.mp4")
    root = tmp_path / "rq"
    resources = {**resources_for("local", root), "transcriber": FlakyTranscriber()}
    key = partition_key(video)
    store_video(video, resources["media_store"].videos, key, move=False)
    instance.add_dynamic_partitions("videos", [key])
    job = build_defs(resources).resolve_job_def("strategy_job")
    result = job.execute_in_process(partition_key=key, instance=instance, raise_on_error=False)
    assert result.success
    retries = _events(instance, result.run_id, dg.DagsterEventType.STEP_UP_FOR_RETRY)
    assert [e.step_key for e in retries] == ["transcript"]
    assert result.asset_value("transcript")["engine"] == "sidecar"


@pytest.mark.slow
def test_killed_run_resumes_from_failure_without_duplicate_rows(tmp_path: Path, sample_videos, monkeypatch) -> None:
    src = next(v for v in sample_videos if v.stem == "rsi_trend_pullback")
    video = _with_sidecar(src, tmp_path / "in", "rsi.mp4")
    home, root = tmp_path / "dagster", tmp_path / "rq"
    home.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("REELQUANT_HOME", str(root))
    key = partition_key(video)
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("reelquant")), "--home", str(root), "process", str(video),
         "--out", str(tmp_path / "out")],
        cwd=REPO, env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    with dg.DagsterInstance.get() as instance:
        deadline = time.monotonic() + 300
        # Kill the whole run process once the search rows are written and the backtest has started.
        while time.monotonic() < deadline:
            done = instance.get_latest_materialization_event(dg.AssetKey("segment_embeddings"))
            if done is not None and proc.poll() is None:
                break
            assert proc.poll() is None, "the run finished or died before it could be killed"
            time.sleep(0.2)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        run = instance.get_runs(limit=1)[0]
        assert run.status == dg.DagsterRunStatus.STARTED
        assert instance.get_latest_materialization_event(dg.AssetKey("strategy")) is None
        # What run monitoring does for a run whose process vanished.
        instance.report_run_failed(run)

        result = dg.execute_job(
            dg.reconstructable(local_strategy_job), instance=instance, tags=run.tags,
            reexecution_options=dg.ReexecutionOptions.from_failure(run.run_id, instance),
        )
        assert result.success
        assert instance.get_latest_materialization_event(dg.AssetKey("strategy")).run_id == result.run_id

    table = lancedb.connect(str(root / "lancedb"))
    rows = table.open_table(table.table_names()[0]).to_pandas()
    mine = rows[rows["video_id"] == key]
    assert len(mine) > 0
    assert not mine.duplicated(["video_id", "segment_id"]).any()


@pytest.mark.slow
def test_postgres_restart_between_sensor_ticks(pg_home: Path, tmp_path: Path, sample_videos) -> None:
    store = MediaStoreResource(root=str(tmp_path / "rq"))
    for i in range(5):
        drop(sample_videos[0], store.inbox, f"lesson {i}.mp4")
        with open(store.inbox / f"lesson {i}.mp4", "ab") as fh:
            fh.write(bytes([i]))
    cluster = sorted(os.listdir("/etc/postgresql"))[-1]
    with dg.DagsterInstance.from_config(str(pg_home)) as instance:
        ctx = dg.build_sensor_context(instance=instance, cursor=None, resources={"media_store": store})
        cursor = video_drop_sensor(ctx).cursor
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", cluster, "main", "restart"], check=True,
                       timeout=120)
        added: list[str] = []
        for _ in range(3):  # ticks go on after the restart; the first may still see the database coming up
            try:
                ctx = dg.build_sensor_context(instance=instance, cursor=cursor, resources={"media_store": store})
                result = video_drop_sensor(ctx)
            except Exception:
                time.sleep(2)
                continue
            cursor = result.cursor
            for req in result.dynamic_partitions_requests or []:
                instance.add_dynamic_partitions(req.partitions_def_name, list(req.partition_keys))
                added += list(req.partition_keys)
        keys = instance.get_dynamic_partitions("videos")
    assert len(added) == 5 and sorted(keys) == sorted(added)
    assert len(keys) == len(set(keys))
    assert list(store.inbox.iterdir()) == []
