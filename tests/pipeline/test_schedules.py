"""The market refresh schedule and the sensor that re-tests every video afterwards."""

from __future__ import annotations

import dagster as dg

from pipeline_defs.definitions import defs
from pipeline_defs.schedules import backtest_refresh_sensor, market_refresh_schedule


def test_market_refresh_schedule_requests_the_market_job() -> None:
    ctx = dg.build_schedule_context(scheduled_execution_time=None)
    requests = list(market_refresh_schedule.evaluate_tick(ctx).run_requests or [])
    assert len(requests) == 1
    assert market_refresh_schedule.job_name == "market_refresh_job"
    job = defs.resolve_job_def("market_refresh_job")
    assert {k.to_user_string() for k in job.asset_layer.selected_asset_keys} == {"market_data"}


def test_refresh_sensor_backfills_every_video_partition(instance) -> None:
    instance.add_dynamic_partitions("videos", ["a-00000001", "b-00000002", "c-00000003"])
    job = defs.resolve_job_def("market_refresh_job")
    result = job.execute_in_process(instance=instance)
    assert result.success
    run = instance.get_run_by_id(result.run_id)
    ctx = dg.build_run_status_sensor_context(
        sensor_name="backtest_refresh_sensor", dagster_instance=instance, dagster_run=run,
        dagster_event=result.get_run_success_event(),
    )
    out = backtest_refresh_sensor(ctx)
    requests = out.run_requests
    assert sorted(r.partition_key for r in requests) == ["a-00000001", "b-00000002", "c-00000003"]
    assert len({r.run_key for r in requests}) == 3
    refresh = defs.resolve_job_def("backtest_refresh_job")
    assert {k.to_user_string() for k in refresh.asset_layer.selected_asset_keys} == {
        "signal_model", "backtest", "strategy"}


def test_leaderboard_follows_strategy_by_automation() -> None:
    graph = defs.resolve_asset_graph()
    condition = graph.get(dg.AssetKey("strategy_leaderboard")).automation_condition
    assert condition is not None and condition.get_label() == "a strategy was updated"
