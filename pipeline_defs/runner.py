"""Running the graph from the command line: videos in, one report per video out, on the local instance."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg

from pipeline_defs.environment import resources_for
from pipeline_defs.partitions import videos_partitions
from reelquant.ingest import partition_key, store_video
from reelquant.media.probe import InvalidVideoError, probe_video
from reelquant.speech.transcript import Transcript


@dataclass
class VideoRun:
    """The outcome for one video: its report, or the one sentence that says why there is none."""

    source: Path
    key: str | None = None
    report: dict[str, Any] | None = None
    error: str | None = None
    wall_s: float = 0.0
    run_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _step_timings(result: dg.ExecuteInProcessResult) -> dict[str, float]:
    timings: dict[str, float] = {}
    for event in result.all_events:
        if event.event_type_value == "STEP_SUCCESS" and event.step_key:
            duration_ms = getattr(event.event_specific_data, "duration_ms", None)
            if duration_ms is not None:
                timings[event.step_key] = round(duration_ms / 1000.0, 3)
    return timings


def _json_safe(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def build_report(result: dg.ExecuteInProcessResult, key: str, wall_s: float) -> dict[str, Any]:
    """The report.json of DESIGN.md from a finished run's asset values (`upgrade_record` reads it back)."""
    record = result.asset_value("strategy") if _has(result, "strategy") else None
    transcript = result.asset_value("transcript")
    hits = result.asset_value("keyword_hits")
    backtest = result.asset_value("backtest")
    timings = _step_timings(result)
    timings["total"] = round(wall_s, 3)
    return _json_safe({
        "video_id": key,
        "transcript": {
            "engine": transcript["engine"], "model": transcript.get("model"), "reason": transcript.get("reason"),
            "language": transcript.get("language"), "duration_s": transcript.get("duration_s"),
            "word_count": Transcript.from_dict(transcript).word_count,
            "text": " ".join(s["text"].strip() for s in transcript["segments"]),
            "segments": [{k: s[k] for k in ("id", "start", "end", "text")} for s in transcript["segments"]],
            # A lesson in another language: the English the rules were read from.
            "translation": [{k: s[k] for k in ("id", "start", "end", "text")} for s in transcript.get("translation") or []],
        },
        "keywords": hits.to_dict(orient="records"),
        # The list of StrategySpec v2, one per setup; `setups` is each one's verdict per market from the record.
        "strategy_spec": result.asset_value("strategy_spec"),
        "backtest": backtest,
        "setups": record["setups"] if record else [],
        "promoted": bool(record["promoted"]) if record else False,
        "reasons": record["reasons"] if record else ["the run did not reach `strategy`"],
        "timings_s": timings,
        "evidence": record["evidence"] if record else [],
        "clips": record["clips"] if record else [],
    })


def _has(result: dg.ExecuteInProcessResult, asset: str) -> bool:
    return any(
        e.event_type_value == "ASSET_MATERIALIZATION" and e.asset_key == dg.AssetKey(asset) for e in result.all_events
    )


def process_videos(
    videos: list[Path],
    root: Path,
    instance: dg.DagsterInstance,
    out_dir: Path | None = None,
    resources: dict[str, Any] | None = None,
) -> list[VideoRun]:
    """Copy each video into the managed store, add its partition, run `strategy_job` in-process, write reports.

    The user's own files are copied, never moved; a bad file ends in a one-sentence error and the
    next file still runs.
    """
    from pipeline_defs.definitions import build_defs

    resources = resources or resources_for("local", root)
    defs = build_defs(resources)
    job = defs.resolve_job_def("strategy_job")
    videos_dir = resources["media_store"].videos
    runs: list[VideoRun] = []
    for source in videos:
        run = VideoRun(source=Path(source))
        started = time.perf_counter()
        try:
            key = partition_key(run.source, probe_video(run.source).sha256)
        except (InvalidVideoError, OSError) as exc:
            run.error = str(exc)
            runs.append(run)
            continue
        run.key = key
        store_video(run.source, videos_dir, key, move=False)
        if not instance.has_dynamic_partition(videos_partitions.name, key):
            instance.add_dynamic_partitions(videos_partitions.name, [key])
        result = job.execute_in_process(
            partition_key=key, instance=instance, raise_on_error=False, tags={"reelquant/source": "cli"}
        )
        run.wall_s = time.perf_counter() - started
        run.run_id = result.run_id
        if not result.success:
            failure = next((e for e in result.all_events if e.event_type_value == "STEP_FAILURE"), None)
            message = failure.event_specific_data.error.message.strip().splitlines()[-1] if failure else "run failed"
            run.error = f"{failure.step_key if failure else 'run'}: {message}"
            runs.append(run)
            continue
        run.report = build_report(result, key, run.wall_s)
        if out_dir is not None:
            target = Path(out_dir) / key
            target.mkdir(parents=True, exist_ok=True)
            (target / "report.json").write_text(json.dumps(run.report, indent=2), encoding="utf-8")
            run.extra["report_path"] = str(target / "report.json")
        runs.append(run)
    if any(r.report for r in runs):
        # The leaderboard ranks every video: rebuilt once for the batch, as leaderboard_automation does.
        defs.resolve_job_def("leaderboard_job").execute_in_process(
            instance=instance, raise_on_error=False, tags={"reelquant/source": "cli"})
    return runs

