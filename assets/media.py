"""Media: the audio track, sampled keyframes, and highlight clips of the moments that matter."""


import time
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd

from assets._metadata import md_table
from assets.partitions import videos_partitions
from reelquant.media.audio import extract_audio, has_speech, silences_from_regions
from reelquant.media.clips import highlight_windows, render_clips
from reelquant.media.keyframes import extract_slide_keyframes
from reelquant.speech.transcript import Transcript
from resources import MediaStoreResource

ENGINE_RETRY = dg.RetryPolicy(max_retries=2, delay=2, backoff=dg.Backoff.EXPONENTIAL)


@dg.asset(
    partitions_def=videos_partitions,
    group_name="media",
    kinds={"audio"},
    retry_policy=ENGINE_RETRY,
    description="16 kHz mono WAV of the video's sound, its duration and the share of it that is speech.",
)
def audio_track(
    context: dg.AssetExecutionContext, video_file: dict[str, Any], media_store: MediaStoreResource
) -> dg.MaterializeResult:
    out = media_store.derived_dir(context.partition_key) / "audio.wav"
    started = time.perf_counter()
    info = extract_audio(Path(video_file["path"]), out)
    speech, note = has_speech(info)
    data = {**info.to_dict(), "has_speech": speech, "speech_note": note}
    return dg.MaterializeResult(
        value=data,
        metadata={
            "has_speech": speech,
            "speech_note": note,
            "path": dg.MetadataValue.path(str(out)),
            "duration_s": dg.MetadataValue.float(float(info.duration_s)),
            "speech_ratio": dg.MetadataValue.float(float(info.speech_ratio)),
            "speech_regions": dg.MetadataValue.int(len(info.regions)),
            "seconds": dg.MetadataValue.float(round(time.perf_counter() - started, 3)),
        },
    )


@dg.asset(
    partitions_def=videos_partitions,
    group_name="media",
    kinds={"image"},
    description="One frame per slide (scene changes, repeated slides dropped, a periodic frame on long stills).",
)
def keyframes(
    context: dg.AssetExecutionContext, video_file: dict[str, Any], media_store: MediaStoreResource
) -> dg.MaterializeResult:
    out_dir = media_store.derived_dir(context.partition_key, "keyframes")
    frames = extract_slide_keyframes(Path(video_file["path"]), out_dir)
    return dg.MaterializeResult(
        value=frames,
        metadata={
            "frames": dg.MetadataValue.int(len(frames)),
            "folder": dg.MetadataValue.path(str(out_dir)),
            "preview": md_table(((f"{f['t']:.1f}", f.get("reason", ""), Path(f["path"]).name) for f in frames),
                                ["t (s)", "why", "file"], limit=20),
        },
    )


@dg.asset(
    partitions_def=videos_partitions,
    group_name="media",
    kinds={"video"},
    retry_policy=ENGINE_RETRY,
    description="MP4 clips around each rule of every setup and the densest teaching, cut in the silences "
                "between sentences, subtitles burned in, with thumbnails.",
)
def highlight_clips(
    context: dg.AssetExecutionContext,
    video_file: dict[str, Any],
    audio_track: dict[str, Any],
    transcript: dict[str, Any],
    keyword_hits: pd.DataFrame,
    strategy_spec: list[dict[str, Any]],
    media_store: MediaStoreResource,
) -> dg.MaterializeResult:
    out_dir = media_store.derived_dir(context.partition_key, "clips")
    # Every setup's rules get their moments: the provenance of each spec of the lesson's list, named by setup
    # when there are several (each has its own long.entry[0]).
    provenance = [{**p, "part": f"setup {i + 1} {p['part']}"} if len(strategy_spec) > 1 else p
                  for i, spec in enumerate(strategy_spec) for p in spec.get("provenance") or []]
    tr = Transcript.from_dict(transcript)
    started = time.perf_counter()
    # Without speech in the sound (a sidecar transcript over music), its quiet parts say nothing.
    silences = (
        silences_from_regions(audio_track.get("regions") or [], float(audio_track["duration_s"]))
        if audio_track.get("has_speech") else None
    )
    windows = highlight_windows(
        keyword_hits, tr, provenance, duration_s=float(video_file["duration_s"]),
        silences=silences,
    )
    clips = render_clips(Path(video_file["path"]), windows, tr, out_dir)
    elapsed = time.perf_counter() - started
    in_silence = sum((w["start_cut"] == "silence") + (w["end_cut"] == "silence") for w in windows)
    return dg.MaterializeResult(
        value=clips,
        metadata={
            "clips": dg.MetadataValue.int(len(clips)),
            "seconds": dg.MetadataValue.float(round(elapsed, 2)),
            "seconds_per_clip": dg.MetadataValue.float(round(elapsed / max(len(clips), 1), 2)),
            "boundaries_in_silence": dg.MetadataValue.int(int(in_silence)),
            "boundaries": dg.MetadataValue.int(2 * len(windows)),
            "preview": md_table(
                ((f"{c['start_s']:.1f}–{c['end_s']:.1f}", c["reason"], Path(c["path"]).name) for c in clips),
                ["window (s)", "why", "file"],
            ),
        },
    )
