"""Ingest: the managed copy of a dropped video and what a probe says about it."""


from typing import Any

import dagster as dg

from assets.partitions import videos_partitions
from reelquant.media.probe import probe_video
from resources import MediaStoreResource


@dg.asset(
    partitions_def=videos_partitions,
    group_name="ingest",
    kinds={"video"},
    description="Immutable managed copy of the dropped video with its probe: duration, streams, codecs, size, sha256.",
)
def video_file(context: dg.AssetExecutionContext, media_store: MediaStoreResource) -> dg.MaterializeResult:
    path = media_store.video_path(context.partition_key)
    probe = probe_video(path)
    info: dict[str, Any] = {**probe.to_dict(), "video_id": context.partition_key,
                            "original_name": media_store.original_name(context.partition_key)}
    info["path"] = str(path)
    return dg.MaterializeResult(
        value=info,
        metadata={
            "path": dg.MetadataValue.path(str(path)),
            "original_name": info["original_name"],
            "duration_s": dg.MetadataValue.float(float(probe.duration_s)),
            "size_bytes": dg.MetadataValue.int(int(probe.size_bytes)),
            "video_codec": str(probe.video_codec),
            "audio_codec": str(probe.audio_codec),
            "sha256": probe.sha256,
        },
    )
