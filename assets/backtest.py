"""Backtest: market data, the LightGBM signal model, and vectorbt backtests of each lesson's rule."""


import math
from typing import Any

import dagster as dg
import pandas as pd

from assets._metadata import md_png, md_table
from assets.partitions import videos_partitions
from reelquant.backtest.data import validate_ohlcv
from reelquant.backtest.engine import plot_equity, run_backtest
from reelquant.backtest.model import train_signal_model
from reelquant.backtest.robustness import heatmap_png, robustness
from reelquant.backtest.walkforward import walk_forward, walk_forward_summary
from reelquant.strategy.spec import StrategySpec
from resources import BacktesterResource, MarketDataResource, MediaStoreResource

HEADLINE = ("total_return", "sharpe", "max_drawdown", "trades", "win_rate")


@dg.asset(
    group_name="backtest",
    kinds={"pandas"},
    check_specs=[dg.AssetCheckSpec("market_data_schema", asset="market_data", blocking=True,
                                   description="OHLCV passes the pandera schema and sanity checks.")],
    description="Daily OHLCV of the configured symbol and source, validated before any backtest uses it.",
)
def market_data(market_data: MarketDataResource):  # no return annotation: with check_specs Dagster reads one as the type of every output
    df = market_data.load()
    problems = validate_ohlcv(df)
    return dg.MaterializeResult(
        value=df,
        metadata={
            "source": market_data.describe(),
            "rows": dg.MetadataValue.int(len(df)),
            "first": str(df.index.min().date()) if len(df) else "-",
            "last": str(df.index.max().date()) if len(df) else "-",
            "last_close": dg.MetadataValue.float(float(df["close"].iloc[-1])) if len(df) else 0.0,
        },
        check_results=[dg.AssetCheckResult(
            check_name="market_data_schema",
            passed=not problems,
            description="; ".join(problems) if problems else f"{len(df)} valid bars",
            metadata={"problems": dg.MetadataValue.int(len(problems))},
        )],
    )


@dg.asset(
    partitions_def=videos_partitions,
    group_name="backtest",
    kinds={"lightgbm"},
    description="LightGBM meta-label model trained walk-forward on the spec's indicators: which rule signals to take.",
)
def signal_model(
    context: dg.AssetExecutionContext,
    strategy_spec: dict[str, Any],
    market_data: pd.DataFrame,
    backtester: BacktesterResource,
    media_store: MediaStoreResource,
) -> dg.MaterializeResult:
    spec = StrategySpec.from_dict(strategy_spec)
    if not spec.testable:
        return dg.MaterializeResult(
            value={"trained": False, "reason": "the lesson has no testable strategy", "entry_filter": None},
            metadata={"trained": False},
        )
    result = train_signal_model(spec, market_data, backtester.config())
    model_path = media_store.derived_dir(context.partition_key) / "signal_model.txt"
    if result.trained:
        result.save(model_path)
    summary = result.to_dict()
    auc = summary.get("oos_auc")
    return dg.MaterializeResult(
        value={**summary, "entry_filter": result.entry_filter, "model_path": str(model_path)},
        metadata={
            "trained": result.trained,
            "reason": str(summary.get("reason") or "-"),
            "oos_auc": dg.MetadataValue.float(float(auc)) if auc is not None else "not measurable",
            "samples": dg.MetadataValue.int(int(summary.get("n_samples", 0))),
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


@dg.asset(
    partitions_def=videos_partitions,
    group_name="backtest",
    kinds={"vectorbt"},
    check_specs=[dg.AssetCheckSpec("metrics_finite", asset="backtest",
                                   description="Every reported metric is a finite number.")],
    description="vectorbt backtests of the rule alone and of rule + model, in-sample and out-of-sample, "
    "with trades and the equity curve.",
)
def backtest(
    context: dg.AssetExecutionContext,
    strategy_spec: dict[str, Any],
    market_data: pd.DataFrame,
    signal_model: dict[str, Any],
    backtester: BacktesterResource,
    media_store: MediaStoreResource,
):  # no return annotation: with check_specs Dagster reads one as the type of every output
    spec = StrategySpec.from_dict(strategy_spec)
    if not spec.testable:
        return dg.MaterializeResult(
            value={"ran": False, "reason": "the lesson has no testable strategy", "signal_model": _model_summary(signal_model)},
            metadata={"ran": False},
            check_results=[dg.AssetCheckResult(check_name="metrics_finite", passed=True,
                                               description="nothing to check: no testable strategy")],
        )
    config = backtester.config()
    rule = run_backtest(spec, market_data, config)
    results = {"rule_only": rule.to_dict()}
    # An untrained model keeps every rule entry: "rule + model" would only repeat the rule's numbers.
    if signal_model.get("trained") and signal_model.get("entry_filter") is not None:
        results["rule_plus_model"] = run_backtest(
            spec, market_data, config, entry_filter=signal_model["entry_filter"]
        ).to_dict()
    windows = walk_forward(spec, market_data, config, n_windows=backtester.walk_forward_windows)
    robust = robustness(spec, market_data, config, max_variants=backtester.robustness_max_variants)
    results_extra = {
        "walk_forward": [w.to_dict() for w in windows],
        "walk_forward_summary": walk_forward_summary(windows),
        "robustness": robust.to_dict(),
    }
    png = plot_equity(rule)
    png_path = media_store.derived_dir(context.partition_key) / "equity.png"
    png_path.write_bytes(png)
    bad = [f"{name}: {m}" for name, r in results.items() for m in _finite_metrics(r)]
    oos = results["rule_only"]["metrics"]["out_of_sample"]
    rows = [
        (name, seg, *(f"{r['metrics'][seg][m]:.3g}" for m in HEADLINE))
        for name, r in results.items() for seg in ("in_sample", "out_of_sample")
    ]
    robust_md: dict[str, Any] = {
        "robustness_share": dg.MetadataValue.float(float(robust.share_positive)),
        "deflated_sharpe": dg.MetadataValue.float(float(robust.deflated_sharpe)),
        "variants_tried": dg.MetadataValue.int(int(robust.n_trials)),
        "walk_forward": md_table(
            ((i + 1, f"{w['out_of_sample']['sharpe']:.2f}", f"{w['out_of_sample']['total_return']:.1%}",
              int(w["out_of_sample"]["trades"])) for i, w in enumerate(results_extra["walk_forward"])),
            ["window", "OOS Sharpe", "OOS return", "trades"],
        ),
    }
    if len(robust.parameters) >= 2:
        robust_md["robustness_heatmap"] = md_png(heatmap_png(robust), "OOS Sharpe over two parameters")
    return dg.MaterializeResult(
        value={"ran": True, **results, **results_extra, "equity_png": str(png_path),
               "signal_model": _model_summary(signal_model)},
        metadata={**robust_md,
            "oos_sharpe": dg.MetadataValue.float(float(oos["sharpe"])),
            "oos_total_return": dg.MetadataValue.float(float(oos["total_return"])),
            "oos_max_drawdown": dg.MetadataValue.float(float(oos["max_drawdown"])),
            "oos_trades": dg.MetadataValue.int(int(oos["trades"])),
            "metrics": md_table(rows, ["variant", "segment", *HEADLINE]),
            "equity_curve": md_png(png, "equity and drawdown"),
            "equity_png": dg.MetadataValue.path(str(png_path)),
        },
        check_results=[dg.AssetCheckResult(
            check_name="metrics_finite", passed=not bad,
            description="; ".join(bad) if bad else "all metrics finite",
        )],
    )
