"""Jobs: the per-video job that pulls `strategy` and everything upstream, plus keyframes and the leaderboard."""

import dagster as dg

from pipeline_defs.partitions import videos_partitions

strategy_job = dg.define_asset_job(
    "strategy_job",
    # Keyframes hang off video_file beside the path to `strategy`; a dropped video gets them in the same run.
    selection=dg.AssetSelection.assets("strategy").upstream()
    | dg.AssetSelection.assets("keyframes", "strategy_leaderboard"),
    partitions_def=videos_partitions,
    description="One video from its managed copy to an evaluated `strategy`, its keyframes, then the leaderboard.",
)
