"""Speech: what was said, with segment and word times, from the engine the transcriber picked."""


import time
from pathlib import Path
from typing import Any

import dagster as dg

from assets._metadata import md_table
from assets.media import ENGINE_RETRY
from assets.partitions import videos_partitions
from reelquant.speech.subtitles import to_srt, to_vtt
from resources import MediaStoreResource, TranscriberResource


@dg.asset(
    partitions_def=videos_partitions,
    group_name="speech",
    kinds={"python"},
    retry_policy=ENGINE_RETRY,
    check_specs=[dg.AssetCheckSpec("transcript_not_empty", asset="transcript", blocking=True,
                                   description="The engine heard at least one word.")],
    description="Segments and words with start/end seconds, the engine and model used and why; SRT and VTT files.",
)
def transcript(
    context: dg.AssetExecutionContext,
    video_file: dict[str, Any],
    audio_track: dict[str, Any],
    transcriber: TranscriberResource,
    media_store: MediaStoreResource,
):  # no return annotation: with check_specs Dagster reads one as the type of every output
    started = time.perf_counter()
    tr = transcriber.transcribe(Path(audio_track["path"]), Path(video_file["path"]))
    elapsed = time.perf_counter() - started
    tr.duration_s = tr.duration_s or float(audio_track["duration_s"])
    out_dir = media_store.derived_dir(context.partition_key)
    srt, vtt = out_dir / "transcript.srt", out_dir / "transcript.vtt"
    srt.write_text(to_srt(tr), encoding="utf-8")
    vtt.write_text(to_vtt(tr), encoding="utf-8")
    words = tr.word_count
    return dg.MaterializeResult(
        value=tr.to_dict(),
        metadata={
            "engine": tr.engine,
            "model": tr.model or "-",
            "engine_reason": tr.reason or "-",
            "words": dg.MetadataValue.int(words),
            "segments": dg.MetadataValue.int(len(tr.segments)),
            "seconds": dg.MetadataValue.float(round(elapsed, 2)),
            "real_time_factor": dg.MetadataValue.float(round(elapsed / max(tr.duration_s, 1e-6), 3)),
            "srt": dg.MetadataValue.path(str(srt)),
            "vtt": dg.MetadataValue.path(str(vtt)),
            "preview": md_table(((f"{s.start:.1f}", f"{s.end:.1f}", s.text) for s in tr.segments),
                                ["start", "end", "text"], limit=12),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="transcript_not_empty",
                passed=words > 0,
                description=None if words else
                "The engine heard no words; check that the video has speech, or drop a .srt beside it.",
                metadata={"words": words},
            )
        ],
    )
