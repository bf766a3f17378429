"""The LightGBM meta-label model: purged walk-forward folds, honest OOS AUC, the entry filter, save and load."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from reelquant.backtest.engine import BacktestConfig, run_backtest
from reelquant.backtest.model import (
    SignalModelError,
    SignalModelResult,
    build_features,
    train_signal_model,
    walk_forward_folds,
)

from .builders import cond, ind, sma_cross, spec_of


@pytest.fixture(scope="module")
def model(goog: pd.DataFrame) -> SignalModelResult:
    return train_signal_model(sma_cross(), goog, BacktestConfig(), n_splits=4, embargo=5)


def test_trains_on_rule_trades_and_reports_auc(model: SignalModelResult, goog: pd.DataFrame) -> None:
    rule_trades = run_backtest(sma_cross(), goog).trades
    assert model.trained
    assert model.n_samples == len(rule_trades)
    assert model.n_positive == int((rule_trades["pnl"] > 0).sum())
    assert len(model.fold_aucs) == 4
    if model.oos_auc is None:
        assert model.reason
    else:
        assert 0.0 <= model.oos_auc <= 1.0
    assert all(a is None or 0.0 <= a <= 1.0 for a in model.fold_aucs)
    assert {"sma_window10", "sma_window20", "ret_5", "vol_20"} <= set(model.feature_names)
    assert sum(model.feature_importances.values()) == pytest.approx(1.0)
    summary = model.to_dict()
    assert summary["n_samples"] == model.n_samples and "entry_filter" not in summary


def test_entry_filter_only_judges_out_of_sample_entries(model: SignalModelResult, goog: pd.DataFrame) -> None:
    flt = model.entry_filter
    assert flt.index.equals(goog.index) and flt.dtype == bool
    preds = model.oos_predictions
    assert len(preds) == model.n_oos_predictions > 0
    rejected = flt.index[~flt.to_numpy()]
    assert set(rejected) == set(preds.index[preds < 0.5])
    # rule entries before the first test fold keep rule-only behaviour
    assert flt.loc[: preds.index.min() - pd.Timedelta(days=1)].all()
    first_block = model.n_samples - model.n_oos_predictions
    assert first_block >= model.n_samples // 5


def test_filtered_backtest_skips_rejected_entries(model: SignalModelResult, goog: pd.DataFrame) -> None:
    filtered = run_backtest(sma_cross(), goog, entry_filter=model.entry_filter)
    rejected_fill_bars = {goog.index[goog.index.get_loc(t) + 1] for t in model.entry_filter.index[~model.entry_filter]}
    assert not set(filtered.trades["entry_time"]) & rejected_fill_bars
    assert len(filtered.trades) == model.n_samples - len(rejected_fill_bars)


def test_walk_forward_folds_are_purged_and_embargoed() -> None:
    signal_pos = np.arange(0, 200, 10)
    end_pos = signal_pos + 25  # every outcome takes 25 bars to be known
    folds = walk_forward_folds(signal_pos, end_pos, n_splits=3, embargo=5)
    assert len(folds) == 3
    tested = np.concatenate([test for _, test in folds])
    assert list(tested) == list(range(5, 20))
    for train, test in folds:
        assert len(train) > 0 and train.max() < test.min()
        assert (end_pos[train] < signal_pos[test[0]] - 5).all()
        # the purged samples are exactly the ones whose outcome runs into the embargoed test start
        dropped = np.setdiff1d(np.arange(test[0]), train)
        assert (end_pos[dropped] >= signal_pos[test[0]] - 5).all() and len(dropped) == 3


def test_features_use_only_the_past(goog: pd.DataFrame) -> None:
    df = goog.iloc[:300]
    changed = df.copy()
    changed.iloc[201:] *= 1.3
    a, b = build_features(sma_cross(), df), build_features(sma_cross(), changed)
    pd.testing.assert_frame_equal(a.iloc[:201], b.iloc[:201])


def test_too_few_trades_keeps_every_entry(goog: pd.DataFrame, tmp_path: Path) -> None:
    result = train_signal_model(sma_cross(50, 200), goog)
    assert not result.trained and result.booster is None
    assert "too few rule trades" in (result.reason or "")
    assert result.entry_filter.all() and len(result.entry_filter) == len(goog)
    loaded = SignalModelResult.load(result.save(tmp_path / "none.txt"))
    assert not loaded.trained and loaded.reason == result.reason


def test_save_and_load_round_trip(model: SignalModelResult, goog: pd.DataFrame, tmp_path: Path) -> None:
    path = model.save(tmp_path / "m" / "signal_model.txt")
    loaded = SignalModelResult.load(path)
    pd.testing.assert_series_equal(loaded.entry_filter, model.entry_filter, check_names=False, check_freq=False)
    assert loaded.oos_auc == model.oos_auc and loaded.fold_aucs == model.fold_aucs
    x = build_features(sma_cross(), goog).iloc[-50:].to_numpy()
    np.testing.assert_allclose(loaded.booster.predict(x), model.booster.predict(x))
    with pytest.raises(SignalModelError, match="No signal model summary"):
        SignalModelResult.load(tmp_path / "absent.txt")


def test_features_follow_the_specs_operands_and_the_registry_scales(goog: pd.DataFrame) -> None:
    rsi2 = ind("rsi", window=2)
    spec = spec_of([cond(rsi2, "<", ind("rsi", offset=1, window=2)),
                    cond(ind("close"), "<", ind("sma", scale=0.95, window=20)),
                    cond(ind("volume"), ">", ind("sma", window=50, source="volume")),
                    cond(ind("macd"), ">", 0)],
                   [cond(ind("close"), ">", ind("sma", window=20))])
    feats = build_features(spec, goog)
    operand_features = [c for c in feats.columns if not c.startswith(("ret_", "vol_", "range_"))]
    # the scaled and the plain SMA(20) are one series: one feature
    assert operand_features == ["rsi_window2", "rsi_window2_lag1", "close", "sma_window20", "volume",
                                "sma_source-volume_window50", "macd_fast12_signal9_slow26"]
    close = goog["close"]
    sma20 = close.rolling(20).mean()
    pd.testing.assert_series_equal(feats["sma_window20"], sma20 / close - 1, check_names=False)
    pd.testing.assert_series_equal(feats["rsi_window2_lag1"], feats["rsi_window2"].shift(1), check_names=False)
    assert feats["close"].abs().max() == 0  # the close against itself
    assert feats["rsi_window2"].between(0, 100).sum() == feats["rsi_window2"].notna().sum()
    # volume-unit and MACD features are level-free: a tenfold price or volume changes nothing
    scaled = goog.assign(**{c: goog[c] * 10 for c in ("open", "high", "low", "close", "volume")})
    pd.testing.assert_frame_equal(build_features(spec, scaled), feats, rtol=1e-6)
    assert 0.5 < feats["sma_source-volume_window50"].median() < 2


def test_short_trades_are_labelled_too(goog: pd.DataFrame) -> None:
    spec = sma_cross(direction="reverse")
    trades = run_backtest(spec, goog).trades
    result = train_signal_model(spec, goog, n_splits=3)
    assert (trades["direction"] == "short").sum() > 20
    assert result.n_samples == len(trades) and result.n_positive == int((trades["pnl"] > 0).sum())
    filtered = run_backtest(spec, goog, entry_filter=result.entry_filter)
    assert result.trained and filtered.filtered
