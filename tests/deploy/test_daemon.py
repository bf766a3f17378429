"""The production instance under a real `dagster-daemon`: twenty videos dropped at once become twenty runs, one
per partition, within the run-queue and GPU-pool limits; then a backfill launched from the CLI re-tests five of them."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest
import yaml

from reelquant.speech.subtitles import to_srt
from reelquant.speech.transcript import transcript_from_text
from tests.deploy.conftest import PG_HOST, PG_PORT, PG_USER, production_config, temporary_database

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
VIDEOS = 20
BACKFILLED = 5
FINISHED = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}
# Twenty full runs plus a backfill on two cores: several minutes, and part of `make test` all the same.
pytestmark = pytest.mark.slow
STEP_EVENTS = {dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_RESTARTED,
               dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE,
               dg.DagsterEventType.STEP_UP_FOR_RETRY}


@dataclass
class Deployment:
    """A DAGSTER_HOME on Postgres with the project's settings, its data root, and the daemon serving both."""

    home: Path
    root: Path
    workspace: Path
    env: dict[str, str]
    instance: dg.DagsterInstance
    daemon: subprocess.Popen
    log: Path

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    def log_tail(self, lines: int = 80) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def failure(self, message: str) -> str:
        return f"{message}\n--- dagster-daemon log (tail) ---\n{self.log_tail()}"


@pytest.fixture(scope="module")
def daemon_database() -> Iterator[str]:
    """A database of this module's own: the daemon's runs, partitions and sensor state would upset the
    session database that the other deploy tests assert on."""
    with temporary_database("reelquant_daemon") as name:
        yield name


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM to the daemon's process group (its code server and run workers with it), SIGKILL if it hangs."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=30)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # stragglers of the group, if any outlived the daemon
    proc.wait()


@pytest.fixture(scope="module")
def deployment(daemon_database: str, tmp_path_factory, request) -> Iterator[Deployment]:
    base = tmp_path_factory.mktemp("daemon")
    home, root = base / "dagster_home", base / "rq"
    home.mkdir()
    root.mkdir()
    launcher = {"module": "dagster.core.launcher", "class": "DefaultRunLauncher"}
    (home / "dagster.yaml").write_text(yaml.safe_dump(production_config(launcher)))
    workspace = home / "workspace.yaml"
    # No gRPC server in tests: the daemon and the CLI each load the code location from the module.
    workspace.write_text(yaml.safe_dump({"load_from": [{"python_module": {
        "module_name": "pipeline_defs.definitions", "working_directory": str(REPO), "location_name": "reelquant",
    }}]}))
    env = {
        "DAGSTER_HOME": str(home),
        "DAGSTER_POSTGRES_HOST": PG_HOST,
        "DAGSTER_POSTGRES_PORT": str(PG_PORT),
        "DAGSTER_POSTGRES_USER": PG_USER,
        "DAGSTER_POSTGRES_PASSWORD": "",
        "DAGSTER_POSTGRES_DB": daemon_database,
        # The local environment of pipeline_defs.environment: media store, LanceDB and caches under REELQUANT_HOME.
        "REELQUANT_ENV": "local",
        "REELQUANT_HOME": str(root),
    }
    failed_before = request.session.testsfailed
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        log = base / "daemon.log"
        with open(log, "wb") as out, dg.DagsterInstance.from_config(str(home)) as instance:
            daemon = subprocess.Popen(
                [str(BIN / "dagster-daemon"), "run", "-w", str(workspace)],
                cwd=REPO, env=os.environ.copy(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )
            deploy = Deployment(home, root, workspace, env, instance, daemon, log)
            try:
                yield deploy
            finally:
                _stop(daemon)
                if request.session.testsfailed > failed_before:
                    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
                    if reporter is not None:
                        reporter.write_line(deploy.failure("\ndaemon tests failed"))


def _run_errors(instance: dg.DagsterInstance, run_id: str) -> str:
    kinds = {dg.DagsterEventType.STEP_FAILURE, dg.DagsterEventType.RUN_FAILURE}
    lines = []
    for entry in instance.all_logs(run_id, of_type=kinds):
        error = getattr(entry.dagster_event.event_specific_data, "error", None)
        lines.append(f"{entry.step_key or 'run'}: {error.to_string() if error else entry.message}")
    return "\n".join(lines)


def wait_for_runs(deploy: Deployment, runs_filter: dg.RunsFilter, count: int, timeout_s: float) -> list:
    """Poll the instance until `count` runs matching the filter have succeeded; fail fast on a failed run,
    a dead daemon or a file the sensor refused."""
    deadline = time.monotonic() + timeout_s
    while True:
        assert deploy.daemon.poll() is None, deploy.failure(f"dagster-daemon exited with {deploy.daemon.returncode}")
        rejected = sorted((deploy.root / "rejected").glob("*.reason.txt"))
        assert not rejected, deploy.failure("files were rejected: " + " | ".join(p.read_text() for p in rejected))
        records = deploy.instance.get_run_records(runs_filter)
        failed = [r for r in records if r.dagster_run.status != dg.DagsterRunStatus.SUCCESS
                  and r.dagster_run.status in FINISHED]
        assert not failed, deploy.failure("\n".join(
            f"run {r.dagster_run.run_id} ({r.dagster_run.tags.get('dagster/partition')}) "
            f"{r.dagster_run.status.value}:\n{_run_errors(deploy.instance, r.dagster_run.run_id)}" for r in failed))
        if sum(r.dagster_run.status == dg.DagsterRunStatus.SUCCESS for r in records) >= count:
            return records
        if time.monotonic() > deadline:
            states = Counter(r.dagster_run.status.value for r in records)
            pytest.fail(deploy.failure(f"after {timeout_s:.0f} s only {dict(states)} of {count} runs"))
        time.sleep(2)


def max_overlap(intervals: list[tuple[float, float]]) -> int:
    """Most intervals open at one instant; one that ends exactly when another starts does not overlap it."""
    points = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    open_now = most = 0
    for _, delta in points:
        open_now += delta
        most = max(most, open_now)
    return most


def run_intervals(records) -> list[tuple[float, float]]:
    """From start to end of each run that started (a run cancelled in the queue never did)."""
    started = [r for r in records if r.start_time is not None]
    assert all(r.end_time for r in started), "a finished run without an end time"
    return [(r.start_time, r.end_time) for r in started]


def step_intervals(instance: dg.DagsterInstance, run_id: str, step_key: str) -> list[tuple[float, float]]:
    """Each attempt of a step in a run, from its start to its success, failure or retry."""
    intervals: list[tuple[float, float]] = []
    started: float | None = None
    for entry in instance.all_logs(run_id, of_type=STEP_EVENTS):
        if entry.step_key != step_key:
            continue
        if entry.dagster_event.event_type in {dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_RESTARTED}:
            started = entry.timestamp
        elif started is not None:
            intervals.append((started, entry.timestamp))
            started = None
    assert started is None, f"step {step_key} of run {run_id} started and never ended"
    return intervals


def materializations_by_partition(instance: dg.DagsterInstance, asset: str) -> Counter:
    records = instance.fetch_materializations(dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset)), limit=1000).records
    return Counter(r.partition_key for r in records)


@pytest.fixture(scope="module")
def dropped(deployment: Deployment, sample_videos) -> dict:
    """Twenty distinct lessons, each with its .srt beside it, dropped into the inbox at once; every run done."""
    src = sample_videos[0]
    content = src.read_bytes()
    subtitles = to_srt(transcript_from_text(src.with_suffix(".txt").read_text()))
    staging = deployment.root.parent / "staging"
    staging.mkdir()
    for i in range(VIDEOS):
        # A couple of distinct trailing bytes: same lesson, new content, so a new partition each.
        (staging / f"lesson {i:02d}.mp4").write_bytes(content + i.to_bytes(2, "big"))
        (staging / f"lesson {i:02d}.srt").write_text(subtitles)
    deployment.inbox.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    # Subtitles first, so no video is ever in the inbox without its sidecar; renames on one filesystem.
    for suffix in (".srt", ".mp4"):
        for path in sorted(staging.glob(f"*{suffix}")):
            os.replace(path, deployment.inbox / path.name)
    records = wait_for_runs(deployment, dg.RunsFilter(job_name="strategy_job"), VIDEOS, timeout_s=12 * 60)
    return {"records": records, "wall_s": time.monotonic() - started}


def test_twenty_videos_dropped_at_once_run_once_each_within_limits(deployment: Deployment, dropped: dict) -> None:
    instance = deployment.instance
    records = dropped["records"]
    keys = instance.get_dynamic_partitions("videos")
    assert len(keys) == VIDEOS and len(set(keys)) == VIDEOS

    # One successful run per partition and nothing else: no retries, no duplicates, nothing lost.
    by_partition = Counter(r.dagster_run.tags.get("dagster/partition") for r in records)
    assert by_partition == Counter(dict.fromkeys(keys, 1)), deployment.failure(f"runs per partition: {by_partition}")
    assert all(r.dagster_run.status == dg.DagsterRunStatus.SUCCESS for r in records)
    assert materializations_by_partition(instance, "strategy") == Counter(dict.fromkeys(keys, 1))
    assert list(deployment.inbox.iterdir()) == []
    rejected = deployment.root / "rejected"
    assert not rejected.exists() or list(rejected.iterdir()) == []

    # The sidecar travelled with each video from the inbox into the store and was the engine used.
    engines = Counter(
        r.asset_materialization.metadata["engine"].value
        for r in instance.fetch_materializations(dg.AssetKey("transcript"), limit=1000).records
    )
    assert engines == Counter({"sidecar": VIDEOS}), engines
    for key in keys:
        assert (deployment.root / "store" / "videos" / key / f"{key}.srt").is_file(), key

    # The run queue: never more than max_concurrent_runs in progress (all jobs count), yet really concurrent.
    every_run = [r for r in instance.get_run_records() if r.dagster_run.status in FINISHED]
    most_runs = max_overlap(run_intervals(every_run))
    limit = production_config()["concurrency"]["runs"]["max_concurrent_runs"]
    assert 2 <= most_runs <= limit, f"{most_runs} runs in progress at once (limit {limit})"

    # The gpu pool: the instance knows it with limit 1, and no two transcript steps of any runs overlapped.
    config = instance.get_concurrency_config().pool_config
    assert config.default_pool_limit == 1 and config.pool_granularity.value == "op"
    assert {p.name: p.limit for p in instance.event_log_storage.get_pool_limits()}.get("gpu") == 1
    gpu = instance.event_log_storage.get_concurrency_info("gpu")
    assert gpu.slot_count == 1 and gpu.claimed_slots == [], gpu
    transcripts = sorted(iv for r in records for iv in step_intervals(instance, r.dagster_run.run_id, "transcript"))
    assert len(transcripts) == VIDEOS
    overlaps = [(a, b) for a, b in zip(transcripts, transcripts[1:], strict=False) if b[0] < a[1]]
    assert not overlaps, f"transcript steps overlapped despite the gpu pool limit: {overlaps}"
    blocked = sum(
        "blocked by limit for pool gpu" in (entry.message or "")
        for r in records for entry in instance.all_logs(r.dagster_run.run_id, of_type=dg.DagsterEventType.ENGINE_EVENT)
    )
    print(f"{VIDEOS} videos: drop to last strategy {dropped['wall_s']:.0f} s, {most_runs} runs at once at most, "
          f"{blocked} transcript steps waited for the gpu pool")


def test_backfill_from_the_cli_retests_only_its_partitions(deployment: Deployment, dropped: dict) -> None:
    instance = deployment.instance
    keys = sorted(instance.get_dynamic_partitions("videos"))
    chosen = keys[:BACKFILLED]
    started = time.monotonic()
    cli = subprocess.run(
        [str(BIN / "dagster"), "job", "backfill", "-w", str(deployment.workspace), "-j", "backtest_refresh_job",
         "--partitions", ",".join(chosen), "--noprompt"],
        cwd=REPO, env=os.environ.copy(), capture_output=True, text=True, timeout=300,
    )
    assert cli.returncode == 0, cli.stdout + cli.stderr
    match = re.search(r"Launched backfill job `([^`]+)`", cli.stdout)
    assert match, cli.stdout + cli.stderr
    backfill_id = match.group(1)

    runs = wait_for_runs(deployment, dg.RunsFilter(tags={"dagster/backfill": backfill_id}), BACKFILLED,
                         timeout_s=6 * 60)
    assert len(runs) == BACKFILLED
    assert {r.dagster_run.job_name for r in runs} == {"backtest_refresh_job"}
    assert sorted(r.dagster_run.tags["dagster/partition"] for r in runs) == chosen
    # dagster.yaml keeps backfills to 3 runs at once, leaving room for fresh drops.
    tag_limit = next(t["limit"] for t in production_config()["concurrency"]["runs"]["tag_concurrency_limits"]
                     if t["key"] == "dagster/backfill")
    assert max_overlap(run_intervals(runs)) <= tag_limit

    for asset in ("signal_model", "backtest", "strategy"):
        counts = materializations_by_partition(instance, asset)
        assert counts == Counter({k: 2 if k in chosen else 1 for k in keys}), (asset, counts)
    # Upstream of the refreshed tail nothing ran again.
    assert materializations_by_partition(instance, "transcript") == Counter(dict.fromkeys(keys, 1))
    print(f"backfill of {BACKFILLED} partitions from the CLI: {time.monotonic() - started:.0f} s")


def test_sensor_ticks_took_every_drop_without_error(deployment: Deployment, dropped: dict) -> None:
    instance = deployment.instance
    states = [s for s in instance.all_instigator_state() if s.name == "video_drop_sensor"]
    assert len(states) == 1
    ticks = instance.get_ticks(states[0].instigator_origin_id, states[0].selector_id)
    failures = [t.error.to_string() for t in ticks if t.is_failure]
    assert not failures, deployment.failure("\n".join(failures))
    requested = [run_id for t in ticks for run_id in t.run_ids]
    assert len(requested) == len(set(requested)) == VIDEOS
    assert set(requested) == {r.dagster_run.run_id for r in dropped["records"]}
