"""Schedules and the sensor that chains them: fresh prices every weekday, then every video re-tested on them."""

import dagster as dg

from pipeline_defs.jobs import backtest_refresh_job, market_refresh_job
from pipeline_defs.partitions import videos_partitions

market_refresh_schedule = dg.ScheduleDefinition(
    name="market_refresh_schedule",
    job=market_refresh_job,
    cron_schedule="30 22 * * 1-5",
    execution_timezone="America/New_York",
    description="After the US close on weekdays, reload market data; backtest_refresh_sensor then re-tests every video.",
)


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[market_refresh_job],
    request_job=backtest_refresh_job,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="When market data was refreshed, backfill backtest -> strategy over every video partition.",
)
def backtest_refresh_sensor(context: dg.RunStatusSensorContext) -> dg.SensorResult:
    keys = context.instance.get_dynamic_partitions(videos_partitions.name)
    run_id = context.dagster_run.run_id
    return dg.SensorResult(run_requests=[
        dg.RunRequest(partition_key=key, run_key=f"{run_id}:{key}",
                      tags={"dagster/backfill": f"market-{run_id[:8]}", "reelquant/source": "market_refresh"})
        for key in keys
    ])


leaderboard_automation = dg.AutomationConditionSensorDefinition(
    "leaderboard_automation",
    target=dg.AssetSelection.assets("strategy_leaderboard"),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="Evaluates strategy_leaderboard's automation condition: once any video's strategy was updated and "
    "no strategy run is in progress, the board is rebuilt once for the whole batch.",
)
