"""Strategy: the StrategySpec of each lesson, its final evaluated record, and the leaderboard of all of them."""


import json
from typing import Any

import dagster as dg

from assets._metadata import md_table
from assets.partitions import videos_partitions
from reelquant.backtest.promotion import decide
from reelquant.ingest import original_name
from reelquant.search.evidence import evidence_for_spec
from reelquant.strategy.record import build_record, leaderboard_frame
from reelquant.strategy.spec import StrategySpec, json_schema
from reelquant.text.extract import build_spec
from resources import BacktesterResource, EmbedderResource, LanceDBResource, MediaStoreResource


@dg.asset(
    partitions_def=videos_partitions,
    group_name="strategy",
    kinds={"json"},
    check_specs=[
        dg.AssetCheckSpec("spec_schema_valid", asset="strategy_spec", blocking=True,
                          description="The spec validates against the StrategySpec v1 JSON schema."),
        dg.AssetCheckSpec("provenance_inside_video", asset="strategy_spec",
                          description="Every provenance time lies inside the video."),
    ],
    description="StrategySpec v1 of the lesson, or an explicit 'no testable strategy' with the reasons.",
)
def strategy_spec(trading_concepts: list[dict[str, Any]], transcript: dict[str, Any]):  # no return annotation: with check_specs Dagster reads one as the type of every output
    if transcript["segments"]:
        spec = build_spec(trading_concepts)
    else:
        spec = StrategySpec.untestable([f"no speech: {transcript.get('reason') or 'the video has no spoken words'}"],
                                       name="no speech")
    data = spec.to_dict()
    try:
        StrategySpec.model_validate_json(json.dumps(data))
        schema_error = ""
    except ValueError as exc:
        schema_error = str(exc).splitlines()[0]
    duration = float(transcript.get("duration_s") or 0.0)
    outside = [p.part for p in spec.provenance if p.start_s < 0 or (duration and p.end_s > duration + 0.5)]
    return dg.MaterializeResult(
        value=data,
        metadata={
            "testable": spec.testable,
            "summary": spec.summary(),
            "confidence": dg.MetadataValue.float(float(spec.confidence)),
            "entry_conditions": dg.MetadataValue.int(len(spec.entry.conditions)),
            "exit_conditions": dg.MetadataValue.int(len(spec.exit.conditions)),
            "spec": dg.MetadataValue.json(data),
            "provenance": md_table(((p.part, f"{p.start_s:.1f}–{p.end_s:.1f}", p.text) for p in spec.provenance),
                                   ["part", "said at (s)", "words"]),
        },
        check_results=[
            dg.AssetCheckResult(check_name="spec_schema_valid", passed=not schema_error,
                                description=schema_error or "valid StrategySpec v1",
                                metadata={"schema_fields": len(json_schema().get("properties", {}))}),
            dg.AssetCheckResult(check_name="provenance_inside_video", passed=not outside,
                                description=f"outside the video: {', '.join(outside)}" if outside else "all inside"),
        ],
    )


@dg.asset(
    partitions_def=videos_partitions,
    group_name="strategy",
    kinds={"json"},
    check_specs=[dg.AssetCheckSpec(
        "promotion_gates", asset="strategy", blocking=True,
        description="The strategy passed every promotion gate. A rejection is a warning (a valid outcome that still "
        "reaches the leaderboard); a record that contradicts its own gates is an error and blocks downstream.",
    )],
    description="The lesson's final record: spec, backtest metrics, promoted or rejected with reasons, and the "
    "evidence (quotes with times, clips) for each rule.",
)
def strategy(
    context: dg.AssetExecutionContext,
    transcript: dict[str, Any],
    strategy_spec: dict[str, Any],
    backtest: dict[str, Any],
    highlight_clips: list[dict[str, Any]],
    segment_embeddings: dict[str, Any],
    lesson_features: dict[str, float],
    backtester: BacktesterResource,
    media_store: MediaStoreResource,
    embedder: EmbedderResource,
    vector_store: LanceDBResource,
):  # no return annotation: with check_specs Dagster reads one as the type of every output
    spec = StrategySpec.from_dict(strategy_spec)
    # Quotes for each rule come through the same index a user searches, restricted to this video.
    store = vector_store.store(embedder.model_name, embedder.dim)
    evidence = evidence_for_spec(store, embedder.model(), spec, context.partition_key)
    decision = (
        decide(backtest["rule_only"], backtester.gates(), robustness=backtest.get("robustness"))
        if backtest.get("ran") else None
    )
    # The signal model comes through backtest (which used it), the file's name from the managed store.
    video = {"original_name": original_name(media_store.videos, context.partition_key),
             "duration_s": transcript.get("duration_s")}
    record = build_record(
        video_id=context.partition_key, video=video, transcript=transcript, spec=spec,
        backtest=backtest, signal_model=backtest.get("signal_model") or {}, clips=highlight_clips,
        embeddings=segment_embeddings, features=lesson_features, decision=decision, evidence=evidence,
    )
    out = media_store.derived_dir(context.partition_key) / "strategy.json"
    out.write_text(json.dumps(record, indent=2, default=str), encoding="utf-8")
    oos = record.get("oos") or {}
    return dg.MaterializeResult(
        value=record,
        metadata={
            "promoted": record["promoted"],
            "summary": record["summary"],
            "reasons": dg.MetadataValue.md("\n".join(f"- {r}" for r in record["reasons"])),
            "oos_sharpe": dg.MetadataValue.float(float(oos.get("sharpe", 0.0))),
            "evidence": md_table(((e["part"], f"{e['start_s']:.1f}–{e['end_s']:.1f}", e["text"], e.get("clip") or "-")
                                  for e in record["evidence"]), ["part", "said at (s)", "quote", "clip"]),
            "record": dg.MetadataValue.path(str(out)),
        },
        check_results=[_promotion_check(record)],
    )


def _promotion_check(record: dict[str, Any]) -> dg.AssetCheckResult:
    failed = [r for r in record["reasons"] if r.startswith("failed")]
    consistent = not (record["promoted"] and failed)
    return dg.AssetCheckResult(
        check_name="promotion_gates",
        passed=bool(record["promoted"]) and consistent,
        severity=dg.AssetCheckSeverity.ERROR if not consistent else dg.AssetCheckSeverity.WARN,
        description="; ".join(record["reasons"]),
        metadata={"promoted": record["promoted"], "gates_failed": dg.MetadataValue.int(len(failed))},
    )


@dg.asset(
    group_name="strategy",
    kinds={"pandas"},
    deps=[strategy],
    # Any video's strategy changing (a new drop, a market refresh) re-ranks the board once its runs settle.
    automation_condition=(
        dg.AutomationCondition.any_deps_updated()
        & ~dg.AutomationCondition.any_deps_in_progress()
        & ~dg.AutomationCondition.in_progress()
    ).with_label("a strategy was updated"),
    description="Every video's strategy ranked by out-of-sample Sharpe, promoted ones first, with the reasons.",
)
def strategy_leaderboard(context: dg.AssetExecutionContext, media_store: MediaStoreResource) -> dg.MaterializeResult:
    keys = context.instance.get_dynamic_partitions(videos_partitions.name)
    records = []
    for key in keys:
        path = media_store.derived_path(key, "strategy.json")
        if path.is_file():
            records.append(json.loads(path.read_text(encoding="utf-8")))
    board = leaderboard_frame(records)
    return dg.MaterializeResult(
        value=board,
        metadata={
            "videos": dg.MetadataValue.int(len(board)),
            "promoted": dg.MetadataValue.int(int(board["promoted"].sum()) if len(board) else 0),
            "board": md_table(board.itertuples(index=False), list(board.columns)),
        },
    )
