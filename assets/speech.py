"""Speech: what was said, with segment and word times, from the engine the transcriber picked."""


import time
from pathlib import Path
from typing import Any

import dagster as dg

from assets._metadata import md_table
from assets.media import ENGINE_RETRY
from assets.partitions import videos_partitions
from reelquant.speech.subtitles import find_sidecar, to_srt, to_vtt
from reelquant.speech.transcript import Transcript
from resources import MediaStoreResource, TranscriberResource
from resources.speech import FALLBACK_ENGINES


@dg.asset(
    partitions_def=videos_partitions,
    group_name="speech",
    kinds={"python"},
    retry_policy=ENGINE_RETRY,
    # Transcription is the GPU stage; the instance limits the `gpu` pool (to one step at a time by default).
    pool="gpu",
    check_specs=[
        dg.AssetCheckSpec("transcript_not_empty", asset="transcript", blocking=True,
                          description="The engine heard at least one word (a video with no speech is a warning "
                          "that ends in an explicit 'no speech' strategy, not an error)."),
        dg.AssetCheckSpec("transcript_engine", asset="transcript",
                          description="The transcript did not come from a fallback engine (pocketsphinx)."),
    ],
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
    video = Path(video_file["path"])
    no_speech = not audio_track.get("has_speech", True) and find_sidecar(video) is None
    if no_speech:
        # Nothing to hear and no subtitles: say so instead of running an engine over silence or music.
        tr = Transcript(segments=[], engine="none", reason=audio_track["speech_note"],
                        duration_s=float(audio_track["duration_s"]))
    else:
        tr = transcriber.transcribe(Path(audio_track["path"]), video)
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
            "language": tr.language or "-",
            "language_probability": dg.MetadataValue.float(tr.language_probability or 0.0),
            # Rules are read from the English translation of a lesson in another language (Whisper's translate task).
            "translated": dg.MetadataValue.bool(bool(tr.translation)),
            "hotwords": tr.hotwords or "-",
            "interpolated_words": dg.MetadataValue.int(tr.interpolated_words),
            "warnings": "; ".join(tr.warnings) or "-",
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
                severity=dg.AssetCheckSeverity.WARN if no_speech else dg.AssetCheckSeverity.ERROR,
                description=tr.reason if no_speech else None if words else
                "The engine heard no words; check that the video has speech, or drop a .srt beside it.",
                metadata={"words": words},
            ),
            dg.AssetCheckResult(
                check_name="transcript_engine",
                passed=tr.engine not in FALLBACK_ENGINES,
                severity=dg.AssetCheckSeverity.WARN,
                description=f"{tr.engine}: {tr.reason}" if tr.reason else tr.engine,
            ),
        ],
    )
