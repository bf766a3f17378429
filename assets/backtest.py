"""Backtest: the markets, and per setup and matching market the LightGBM signal model and vectorbt backtests."""


import math
import re
from typing import Any

import dagster as dg

from assets._metadata import md_png, md_table
from assets.partitions import videos_partitions
from reelquant.backtest.data import MarketDataError, validate_ohlcv
from reelquant.backtest.engine import BacktestError, plot_equity, run_backtest
from reelquant.backtest.model import SignalModelError, train_signal_model
from reelquant.backtest.robustness import RobustnessError, heatmap_png, robustness
from reelquant.backtest.walkforward import walk_forward, walk_forward_summary
from reelquant.indicators import IndicatorError
from reelquant.strategy.markets import Instrument, match_instruments
from reelquant.strategy.record import setup_label
from reelquant.strategy.spec import load_specs
from resources import BacktesterResource, MarketDataResource, MediaStoreResource

HEADLINE = ("total_return", "sharpe", "max_drawdown", "trades", "win_rate")
# What a setup can fail with on one market (too few bars, an indicator the bars cannot feed, ...): the setup is
# skipped there with the sentence, and every other setup and market still runs.
SKIPPABLE = (BacktestError, MarketDataError, SignalModelError, RobustnessError, IndicatorError)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@dg.asset(
    group_name="backtest",
    kinds={"pandas"},
    check_specs=[dg.AssetCheckSpec("market_data_schema", asset="market_data", blocking=True,
                                   description="OHLCV passes the pandera schema and sanity checks.")],
    description="The markets setups are tested on: OHLCV of each configured instrument (symbol and bar size), "
    "validated before any backtest uses it.",
)
def market_data(market_data: MarketDataResource):  # no return annotation: with check_specs Dagster reads one as the type of every output
    instruments = market_data.load_instruments()
    problems = [f"{inst.name}: {p}" for inst in instruments for p in validate_ohlcv(inst.bars)]
    return dg.MaterializeResult(
        value=instruments,
        metadata={
            "source": market_data.describe(),
            "instruments": dg.MetadataValue.int(len(instruments)),
            "rows": dg.MetadataValue.int(sum(len(i.bars) for i in instruments)),
            "markets": md_table(
                ((i.symbol, i.timeframe, len(i.bars), f"{i.bars.index.min():%Y-%m-%d %H:%M}" if len(i.bars) else "-",
                  f"{i.bars.index.max():%Y-%m-%d %H:%M}" if len(i.bars) else "-",
                  f"{float(i.bars['close'].iloc[-1]):.4g}" if len(i.bars) else "-") for i in instruments),
                ["symbol", "timeframe", "bars", "first", "last", "last close"],
            ),
        },
        check_results=[dg.AssetCheckResult(
            check_name="market_data_schema",
            passed=not problems,
            description="; ".join(problems) if problems else "; ".join(i.describe() for i in instruments),
            metadata={"problems": dg.MetadataValue.int(len(problems))},
        )],
    )


@dg.asset(
    partitions_def=videos_partitions,
    group_name="backtest",
    kinds={"lightgbm"},
    description="Per setup and matching market: a LightGBM meta-label model trained walk-forward on the setup's "
    "indicators, which rule signals to take.",
)
def signal_model(
    context: dg.AssetExecutionContext,
    strategy_spec: list[dict[str, Any]],
    market_data: list[Instrument],
    backtester: BacktesterResource,
    media_store: MediaStoreResource,
) -> dg.MaterializeResult:
    setups, rows = [], []
    for i, spec in enumerate(load_specs(strategy_spec)):
        markets: dict[str, dict[str, Any]] = {}
        runnable = match_instruments(spec, market_data)
        for inst in market_data:
            why = runnable[inst.name]
            if why is None:
                try:
                    result = train_signal_model(spec, inst.bars, backtester.config(inst.timeframe))
                except SKIPPABLE as err:
                    why = str(err)
            if why is not None:
                markets[inst.name] = {"trained": False, "reason": why, "entry_filter": None}
                rows.append((i + 1, inst.name, False, why, "-", 0))
                continue
            path = media_store.derived_dir(context.partition_key, "models") / f"setup{i + 1}-{_slug(inst.name)}.txt"
            if result.trained:
                result.save(path)
            summary = result.to_dict()
            markets[inst.name] = {**summary, "entry_filter": result.entry_filter,
                                  "model_path": str(path) if result.trained else None}
            auc = summary.get("oos_auc")
            rows.append((i + 1, inst.name, result.trained, summary.get("reason") or "-",
                         f"{auc:.3f}" if auc is not None else "not measurable", int(summary.get("n_samples", 0))))
        setups.append({"setup": i, "markets": markets})
    return dg.MaterializeResult(
        value={"setups": setups},
        metadata={
            "trained": dg.MetadataValue.int(sum(bool(r[2]) for r in rows)),
            "models": md_table(rows, ["setup", "market", "trained", "why not / note", "OOS AUC", "samples"]),
        },
    )


def _model_summary(signal_model: dict[str, Any]) -> dict[str, Any]:
    """What the record shows of the signal model: everything but the per-bar entry filter."""
    return {k: v for k, v in signal_model.items() if k != "entry_filter"}


def _finite_metrics(result: dict[str, Any]) -> list[str]:
    bad = []
    for segment, metrics in result["metrics"].items():
        for name, value in metrics.items():
            if isinstance(value, float) and not math.isfinite(value):
                bad.append(f"{segment}.{name}")
    return bad


def _run_market(spec: Any, inst: Instrument, model: dict[str, Any], backtester: BacktesterResource
                ) -> tuple[dict[str, Any], Any, Any]:
    """Every backtest of one setup on one market: rule alone, rule + model, walk-forward, robustness."""
    config = backtester.config(inst.timeframe)
    rule = run_backtest(spec, inst.bars, config)
    results: dict[str, Any] = {"rule_only": rule.to_dict()}
    # An untrained model keeps every rule entry: "rule + model" would only repeat the rule's numbers.
    if model.get("trained") and model.get("entry_filter") is not None:
        results["rule_plus_model"] = run_backtest(spec, inst.bars, config, entry_filter=model["entry_filter"]).to_dict()
    windows = walk_forward(spec, inst.bars, config, n_windows=backtester.walk_forward_windows)
    robust = robustness(spec, inst.bars, config, max_variants=backtester.robustness_max_variants)
    results.update({
        "ran": True,
        "walk_forward": [w.to_dict() for w in windows],
        "walk_forward_summary": walk_forward_summary(windows),
        "robustness": robust.to_dict(),
        "signal_model": _model_summary(model),
    })
    return results, rule, robust


@dg.asset(
    partitions_def=videos_partitions,
    group_name="backtest",
    kinds={"vectorbt"},
    check_specs=[dg.AssetCheckSpec("metrics_finite", asset="backtest",
                                   description="Every reported metric is a finite number.")],
    description="Per setup and matching market: vectorbt backtests of the rule alone and of rule + model, "
    "in-sample and out-of-sample, walk-forward and robustness, with trades and the equity curve. A setup that "
    "cannot run on a market is skipped there with the reason.",
)
def backtest(
    context: dg.AssetExecutionContext,
    strategy_spec: list[dict[str, Any]],
    market_data: list[Instrument],
    signal_model: dict[str, Any],
    backtester: BacktesterResource,
    media_store: MediaStoreResource,
):  # no return annotation: with check_specs Dagster reads one as the type of every output
    specs = load_specs(strategy_spec)
    models = {int(s["setup"]): s["markets"] for s in signal_model.get("setups", [])}
    setups, rows, skipped, bad, plots = [], [], [], [], {}
    heatmap: dict[str, Any] = {}
    for i, spec in enumerate(specs):
        label = setup_label(i, spec)
        if not spec.testable:
            reason = "not testable: " + ("; ".join(spec.unsupported) or "no rule taught")
            setups.append({"setup": i, "name": spec.name, "summary": spec.summary(), "testable": False,
                           "reason": reason, "markets": {}})
            skipped.append((i + 1, "-", reason))
            continue
        markets: dict[str, dict[str, Any]] = {}
        for inst, why in zip(market_data, match_instruments(spec, market_data).values(), strict=True):
            if why is None:
                try:
                    result, rule, robust = _run_market(spec, inst, models.get(i, {}).get(inst.name) or {}, backtester)
                except SKIPPABLE as err:
                    why = str(err)
            if why is not None:
                markets[inst.name] = {"ran": False, "reason": why}
                skipped.append((i + 1, inst.name, why))
                continue
            png = plot_equity(rule)
            png_path = media_store.derived_dir(context.partition_key, "equity") / f"setup{i + 1}-{_slug(inst.name)}.png"
            png_path.write_bytes(png)
            result["equity_png"] = str(png_path)
            markets[inst.name] = result
            plots[f"{label} on {inst.name}"] = png
            if not heatmap and len(robust.parameters) >= 2:
                heatmap = {"robustness_heatmap": md_png(heatmap_png(robust), f"OOS Sharpe over two parameters, "
                                                                             f"{label} on {inst.name}")}
            for variant in ("rule_only", "rule_plus_model"):
                if variant in result:
                    bad += [f"{label} {inst.name} {variant}: {m}" for m in _finite_metrics(result[variant])]
                    rows += [(i + 1, inst.name, variant, seg, *(f"{result[variant]['metrics'][seg][m]:.3g}"
                                                                for m in HEADLINE))
                             for seg in ("in_sample", "out_of_sample")]
        setups.append({"setup": i, "name": spec.name, "summary": spec.summary(), "testable": True,
                       "markets": markets})
    ran = [(s["setup"], name, m) for s in setups for name, m in s["markets"].items() if m.get("ran")]
    oos = [m["rule_only"]["metrics"]["out_of_sample"] for _, _, m in ran]
    best = max(oos, key=lambda o: o["sharpe"], default=None)
    metadata: dict[str, Any] = {
        "setups": dg.MetadataValue.int(len(specs)),
        "runs": dg.MetadataValue.int(len(ran)),
        "skipped": dg.MetadataValue.int(len(skipped)),
        "metrics": md_table(rows, ["setup", "market", "variant", "segment", *HEADLINE], limit=40),
        "skips": md_table(skipped, ["setup", "market", "why"]),
        **heatmap,
    }
    if best is not None:
        metadata.update({
            "best_oos_sharpe": dg.MetadataValue.float(float(best["sharpe"])),
            "best_oos_total_return": dg.MetadataValue.float(float(best["total_return"])),
            "best_oos_trades": dg.MetadataValue.int(int(best["trades"])),
        })
        walk = [(s + 1, name, j + 1, f"{w['out_of_sample']['sharpe']:.2f}", f"{w['out_of_sample']['total_return']:.1%}",
                 int(w["out_of_sample"]["trades"])) for s, name, m in ran for j, w in enumerate(m["walk_forward"])]
        metadata["walk_forward"] = md_table(walk, ["setup", "market", "window", "OOS Sharpe", "OOS return", "trades"])
        metadata["robustness"] = md_table(
            ((s + 1, name, f"{m['robustness'].get('share_positive', 0):.0%}",
              f"{m['robustness'].get('deflated_sharpe', 0):.2f}", m["robustness"].get("n_trials", 0))
             for s, name, m in ran), ["setup", "market", "positive neighbours", "deflated Sharpe", "variants"])
    for n, (title, png) in enumerate(plots.items()):
        # The first run's curve under a fixed name, so the UI (and its test) find it on every lesson.
        metadata["equity_curve" if n == 0 else f"equity_curve_{_slug(title)}"] = md_png(png, f"equity, {title}")
    return dg.MaterializeResult(
        value={"ran": bool(ran), "setups": setups},
        metadata=metadata,
        check_results=[dg.AssetCheckResult(
            check_name="metrics_finite", passed=not bad,
            description="; ".join(bad) if bad else (f"all metrics of {len(ran)} run(s) finite" if ran
                                                     else "nothing to check: no setup ran on any market"),
        )],
    )
