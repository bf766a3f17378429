"""The reelquant code location: `defs` is what `dagster dev` and the gRPC server load."""

from __future__ import annotations

from typing import Any

import dagster as dg

from assets import backtest, ingest, language, media, search, speech, strategy
from pipeline_defs.environment import resources_for
from pipeline_defs.jobs import backtest_refresh_job, leaderboard_job, market_refresh_job, strategy_job
from pipeline_defs.schedules import backtest_refresh_sensor, leaderboard_automation, market_refresh_schedule
from pipeline_defs.sensors import video_drop_sensor

ASSET_MODULES = [ingest, media, speech, language, search, strategy, backtest]


def build_defs(resources: dict[str, Any]) -> dg.Definitions:
    """The same graph, jobs and sensors over a given set of resources (an environment, or a test's)."""
    return dg.Definitions(
        assets=dg.load_assets_from_modules(ASSET_MODULES),
        asset_checks=dg.load_asset_checks_from_modules(ASSET_MODULES),
        jobs=[strategy_job, market_refresh_job, backtest_refresh_job, leaderboard_job],
        schedules=[market_refresh_schedule],
        sensors=[video_drop_sensor, backtest_refresh_sensor, leaderboard_automation],
        resources=resources,
        # Steps share one process per run, so each model loads once and numba compiles once.
        executor=dg.in_process_executor,
    )


defs = build_defs(resources_for())
