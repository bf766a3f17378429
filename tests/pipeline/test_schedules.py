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


def test_leaderboard_is_requested_once_after_a_strategy_update(instance) -> None:
    """The automation sensor's own evaluation: nothing new, nothing asked; a strategy lands, one rebuild."""
    instance.add_dynamic_partitions("videos", ["a-00000001", "b-00000002"])
    board = dg.AssetSelection.assets("strategy_leaderboard")
    first = dg.evaluate_automation_conditions(defs=defs, instance=instance, asset_selection=board)
    assert first.total_requested == 0
    for key in ("a-00000001", "b-00000002"):
        instance.report_runless_asset_event(dg.AssetMaterialization("strategy", partition=key))
    second = dg.evaluate_automation_conditions(defs=defs, instance=instance, asset_selection=board,
                                               cursor=first.cursor)
    assert second.total_requested == 1  # two videos updated, the board is rebuilt once
    assert second.get_requested_partitions(dg.AssetKey("strategy_leaderboard")) == {None}
    third = dg.evaluate_automation_conditions(defs=defs, instance=instance, asset_selection=board,
                                              cursor=second.cursor)
    assert third.total_requested == 0
