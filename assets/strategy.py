"""Strategy: the StrategySpec v2 list of each lesson, its final evaluated record, and the leaderboard of all setups."""


import json
import re
from typing import Any

import dagster as dg

from assets._metadata import md_table
from assets.partitions import videos_partitions
from reelquant.backtest.promotion import decide
from reelquant.ingest import original_name
from reelquant.search.evidence import evidence_for_specs
from reelquant.strategy.record import build_record, leaderboard_frame
from reelquant.strategy.spec import STOP_FIELDS, StrategySpec, load_specs
from reelquant.strategy.tearsheet import leaderboard_html, tear_sheet_html
from reelquant.text.rules import Reading, build_specs
from resources import BacktesterResource, EmbedderResource, LanceDBResource, MediaStoreResource

_CONDITION_PART = re.compile(r"^(long|short)\.(entry|exit)\[(\d+)\]$")


def schema_problems(specs: list[dict[str, Any]]) -> list[str]:
    """Each spec of the list read back from its JSON text as StrategySpec v2 (schema, registry names and
    parameters, testable-has-an-entry); one line per spec that fails."""
    problems = []
    for i, data in enumerate(specs):
        if data.get("version") != 2:
            problems.append(f"setup {i + 1}: version {data.get('version')!r} is not 2")
            continue
        try:
            StrategySpec.model_validate_json(json.dumps(data))
        except ValueError as exc:
            problems.append(f"setup {i + 1}: {str(exc).splitlines()[0]}")
    return problems


def provenance_outside(specs: list[StrategySpec], duration_s: float) -> list[str]:
    """Provenance quotes that start before the video or end after it (half a second of slack), or end first."""
    return [f"setup {i + 1} {p.part} {p.start_s:.1f}-{p.end_s:.1f} s" for i, spec in enumerate(specs)
            for p in spec.provenance
            if p.start_s < 0 or p.end_s < p.start_s or (duration_s and p.end_s > duration_s + 0.5)]


def list_problems(specs: list[StrategySpec]) -> list[str]:
    """The list's own contract: at least one spec; setups that can be tested, or one spec that says why not."""
    if not specs:
        return ["the list is empty: a lesson yields at least one spec (testable: false with reasons if need be)"]
    untestable = [i + 1 for i, s in enumerate(specs) if not s.testable]
    problems = []
    if len(untestable) > 1:
        problems.append(f"{len(untestable)} specs are not testable (setups {untestable}): the lesson gets one")
    if untestable and len(untestable) < len(specs):
        problems.append(f"not-testable setup {untestable[0]} mixed with testable ones")
    problems += [f"setup {i + 1} is not testable and gives no reason" for i, s in enumerate(specs)
                 if not s.testable and not s.unsupported]
    return problems


def dangling_provenance(specs: list[StrategySpec]) -> list[str]:
    """Provenance that names a condition or stop the spec does not have (`long.entry[2]` of a one-condition entry)."""
    out = []
    for i, spec in enumerate(specs):
        conditions = {part for part, _ in spec.conditions()}
        for p in spec.provenance:
            named_stop = p.part.removeprefix("stops.")
            if _CONDITION_PART.match(p.part) and p.part not in conditions:
                out.append(f"setup {i + 1}: {p.part}")
            elif p.part.startswith("stops.") and named_stop in STOP_FIELDS and getattr(spec.stops, named_stop) is None:
                out.append(f"setup {i + 1}: {p.part} (not set)")
    return out


@dg.asset(
    partitions_def=videos_partitions,
    group_name="strategy",
    kinds={"json"},
    check_specs=[
        dg.AssetCheckSpec("spec_schema_valid", asset="strategy_spec", blocking=True,
                          description="Every spec of the list validates as StrategySpec v2 (its JSON schema, "
                          "indicator and parameter names from the registry)."),
        dg.AssetCheckSpec("provenance_inside_video", asset="strategy_spec",
                          description="Every provenance time of every setup lies inside the video."),
        dg.AssetCheckSpec("setup_list_consistent", asset="strategy_spec",
                          description="One spec per setup taught, or a single not-testable spec with its reasons: "
                          "never empty, never two not-testable specs, never one mixed with testable setups."),
        dg.AssetCheckSpec("provenance_parts_exist", asset="strategy_spec",
                          description="Every quoted part (long.entry[0], stops.stop_loss_pct, ...) is a rule the "
                          "spec has."),
    ],
    description="StrategySpec v2 list of the lesson: one spec per setup taught, or a single 'not testable' spec "
    "with the reasons.",
)
def strategy_spec(trading_concepts: dict[str, Any], transcript: dict[str, Any]):  # no return annotation: with check_specs Dagster reads one as the type of every output
    if transcript["segments"]:
        specs = build_specs(Reading.from_dict(trading_concepts))
    else:
        specs = [StrategySpec.untestable(
            [f"no speech: {transcript.get('reason') or 'the video has no spoken words'}"], name="no speech")]
    data = [spec.to_dict() for spec in specs]
    schema = schema_problems(data)
    outside = provenance_outside(specs, float(transcript.get("duration_s") or 0.0))
    contract = list_problems(specs)
    dangling = dangling_provenance(specs)
    return dg.MaterializeResult(
        value=data,
        metadata={
            "setups": dg.MetadataValue.int(len(specs)),
            "testable_setups": dg.MetadataValue.int(sum(s.testable for s in specs)),
            "testable": any(s.testable for s in specs),
            "mean_confidence": dg.MetadataValue.float(sum(float(s.confidence) for s in specs) / max(len(specs), 1)),
            "setups_table": md_table(((i + 1, s.name or "-", s.direction, f"{s.confidence:.2f}", s.summary())
                                      for i, s in enumerate(specs)), ["setup", "name", "sides", "confidence", "rules"]),
            "specs": dg.MetadataValue.json(data),
            "provenance": md_table(((i + 1, p.part, f"{p.start_s:.1f}–{p.end_s:.1f}", p.text)
                                    for i, s in enumerate(specs) for p in s.provenance),
                                   ["setup", "part", "said at (s)", "words"], limit=40),
        },
        check_results=[
            dg.AssetCheckResult(check_name="spec_schema_valid", passed=not schema,
                                description="; ".join(schema) or f"{len(data)} valid StrategySpec v2",
                                metadata={"schema_fields": len(StrategySpec.model_json_schema().get("properties", {}))}),
            dg.AssetCheckResult(check_name="provenance_inside_video", passed=not outside,
                                description=f"outside the video: {', '.join(outside)}" if outside else "all inside"),
            dg.AssetCheckResult(check_name="setup_list_consistent", passed=not contract,
                                severity=dg.AssetCheckSeverity.ERROR,
                                description="; ".join(contract) or f"{len(specs)} setup(s)"),
            dg.AssetCheckResult(check_name="provenance_parts_exist", passed=not dangling,
                                severity=dg.AssetCheckSeverity.WARN,
                                description=f"quoted parts the spec lacks: {', '.join(dangling)}" if dangling
                                else "every quoted part exists"),
        ],
    )


@dg.asset(
    partitions_def=videos_partitions,
    group_name="strategy",
    kinds={"json", "html"},
    check_specs=[dg.AssetCheckSpec(
        "promotion_gates", asset="strategy", blocking=True,
        description="At least one setup passed every promotion gate on a market. A rejection is a warning (a valid "
        "outcome that still reaches the leaderboard); a record that contradicts its own gates is an error and blocks "
        "downstream.",
    )],
    description="The lesson's final record: each setup's spec, its metrics per market, promoted or rejected with "
    "reasons, and the evidence (quotes with times, clips) for each rule; the HTML tear sheet.",
)
def strategy(
    context: dg.AssetExecutionContext,
    transcript: dict[str, Any],
    strategy_spec: list[dict[str, Any]],
    backtest: dict[str, Any],
    highlight_clips: list[dict[str, Any]],
    segment_embeddings: dict[str, Any],
    lesson_features: dict[str, float],
    backtester: BacktesterResource,
    media_store: MediaStoreResource,
    embedder: EmbedderResource,
    vector_store: LanceDBResource,
):  # no return annotation: with check_specs Dagster reads one as the type of every output
    specs = load_specs(strategy_spec)
    # Quotes for each rule come through the same index a user searches, restricted to this video.
    store = vector_store.store(embedder.model_name, embedder.dim)
    evidence = evidence_for_specs(store, embedder.model(), specs, context.partition_key)
    gates = backtester.gates()
    decisions = {
        int(setup["setup"]): {name: decide(m["rule_only"], gates, robustness=m.get("robustness"))
                              for name, m in setup["markets"].items() if m.get("ran")}
        for setup in backtest.get("setups", [])
    }
    # The file's name comes from the managed store.
    video = {"original_name": original_name(media_store.videos, context.partition_key),
             "duration_s": transcript.get("duration_s")}
    record = build_record(
        video_id=context.partition_key, video=video, transcript=transcript, specs=specs, backtest=backtest,
        clips=highlight_clips, embeddings=segment_embeddings, features=lesson_features, decisions=decisions,
        evidence=evidence,
    )
    out_dir = media_store.derived_dir(context.partition_key)
    out = out_dir / "strategy.json"
    out.write_text(json.dumps(record, indent=2, default=str), encoding="utf-8")
    sheet = out_dir / "tearsheet.html"
    sheet.write_text(tear_sheet_html(record), encoding="utf-8")
    ran = [(s["label"], name, m) for s in record["setups"] for name, m in s["markets"].items() if m["ran"]]
    best = max((m["oos"]["sharpe"] for _, _, m in ran if m.get("oos")), default=None)
    return dg.MaterializeResult(
        value=record,
        metadata={
            "promoted": record["promoted"],
            "setups": dg.MetadataValue.int(len(record["setups"])),
            "promoted_setups": dg.MetadataValue.int(sum(s["promoted"] for s in record["setups"])),
            "summary": record["summary"],
            **({"best_oos_sharpe": dg.MetadataValue.float(float(best))} if best is not None else {}),
            "verdicts": md_table(_verdict_rows(record), ["setup", "market", "decision", "OOS Sharpe", "why"]),
            "reasons": dg.MetadataValue.md("\n".join(f"- {r}" for r in record["reasons"])),
            "evidence": md_table(((e.get("setup", 0) + 1, e["part"], f"{e['start_s']:.1f}–{e['end_s']:.1f}", e["text"],
                                   e.get("clip") or "-") for e in record["evidence"]),
                                 ["setup", "part", "said at (s)", "quote", "clip"], limit=40),
            "record": dg.MetadataValue.path(str(out)),
            "tear_sheet": dg.MetadataValue.path(str(sheet)),
        },
        check_results=[_promotion_check(record)],
    )


def _verdict_rows(record: dict[str, Any]) -> list[tuple[Any, ...]]:
    """One row per setup and market: promoted, rejected by the gates, or skipped (with the first reason)."""
    rows = []
    for s in record["setups"]:
        if not s["markets"]:
            rows.append((s["label"], "-", "rejected", "-", s["reasons"][0]))
        for name, m in s["markets"].items():
            decision = "PROMOTED" if m["promoted"] else "rejected" if m["ran"] else "skipped"
            sharpe = f"{m['oos']['sharpe']:.2f}" if m.get("oos") else "-"
            rows.append((s["label"], name, decision, sharpe, m["reasons"][0]))
    return rows


def _promotion_check(record: dict[str, Any]) -> dg.AssetCheckResult:
    markets = [m for s in record["setups"] for m in s["markets"].values()]
    failed = sum(r.startswith("failed") for m in markets for r in m["reasons"])
    contradictions = [m for m in markets if m["promoted"] and any(r.startswith("failed") for r in m["reasons"])]
    consistent = not contradictions and record["promoted"] == any(s["promoted"] for s in record["setups"])
    return dg.AssetCheckResult(
        check_name="promotion_gates",
        passed=bool(record["promoted"]) and consistent,
        severity=dg.AssetCheckSeverity.ERROR if not consistent else dg.AssetCheckSeverity.WARN,
        description="; ".join(record["reasons"][:6]),
        metadata={"promoted": record["promoted"], "gates_failed": dg.MetadataValue.int(failed),
                  "setups_promoted": dg.MetadataValue.int(sum(s["promoted"] for s in record["setups"]))},
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
    description="Every setup of every video on every market it ran on, ranked by out-of-sample Sharpe, promoted "
    "ones first, with the reasons; the leaderboard page.",
)
def strategy_leaderboard(context: dg.AssetExecutionContext, media_store: MediaStoreResource) -> dg.MaterializeResult:
    keys = context.instance.get_dynamic_partitions(videos_partitions.name)
    records = []
    for key in keys:
        path = media_store.derived_path(key, "strategy.json")
        if path.is_file():
            # Records of any version: a v1 record is upgraded on the way in.
            records.append(json.loads(path.read_text(encoding="utf-8")))
    board = leaderboard_frame(records)
    page = media_store.root_path / "store" / "leaderboard.html"
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(leaderboard_html(board), encoding="utf-8")
    return dg.MaterializeResult(
        value=board,
        metadata={
            "videos": dg.MetadataValue.int(int(board["video_id"].nunique()) if len(board) else 0),
            "rows": dg.MetadataValue.int(len(board)),
            "promoted": dg.MetadataValue.int(int(board["promoted"].sum()) if len(board) else 0),
            "board": md_table(board.itertuples(index=False), list(board.columns), limit=40),
            "page": dg.MetadataValue.path(str(page)),
        },
    )
