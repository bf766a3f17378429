"""Jobs: the per-video job that pulls `strategy` and everything upstream, plus the leaderboard."""

import dagster as dg

from pipeline_defs.partitions import videos_partitions

strategy_job = dg.define_asset_job(
    "strategy_job",
    selection=dg.AssetSelection.assets("strategy").upstream() | dg.AssetSelection.assets("strategy_leaderboard"),
    partitions_def=videos_partitions,
    description="One video from its managed copy to an evaluated `strategy`, then the leaderboard.",
)
