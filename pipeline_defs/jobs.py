"""Jobs: a dropped video end to end, a market-data refresh, and the backtest refresh over every video."""

import dagster as dg

from pipeline_defs.partitions import videos_partitions

strategy_job = dg.define_asset_job(
    "strategy_job",
    # Keyframes hang off video_file beside the path to `strategy`; a dropped video gets them in the same run.
    # The leaderboard is not here: it ranks every video, so it follows by automation once a batch settles
    # (leaderboard_automation) instead of being rebuilt, and raced over, by each video's run.
    selection=dg.AssetSelection.assets("strategy").upstream() | dg.AssetSelection.assets("keyframes"),
    partitions_def=videos_partitions,
    description="One video from its managed copy to an evaluated `strategy`, with its keyframes.",
)

leaderboard_job = dg.define_asset_job(
    "leaderboard_job",
    selection=dg.AssetSelection.assets("strategy_leaderboard"),
    description="Rank every video's strategy; what leaderboard_automation runs when strategies change.",
)

market_refresh_job = dg.define_asset_job(
    "market_refresh_job",
    selection=dg.AssetSelection.assets("market_data"),
    description="Reload and validate market data from the configured source.",
)

backtest_refresh_job = dg.define_asset_job(
    "backtest_refresh_job",
    # Transcripts and specs do not change when prices do: only the market-dependent tail is re-run.
    selection=dg.AssetSelection.assets("signal_model", "backtest", "strategy"),
    partitions_def=videos_partitions,
    description="Re-run signal model, backtest and strategy of a video on the latest market data.",
)
