"""LightGBM meta-labeling of a rule's trades: learn, walk-forward and purged, which rule entries tend to pay off."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reelquant.backtest.engine import BacktestConfig, run_backtest
from reelquant.backtest.signals import OperandCache
from reelquant.indicators import Scale, get
from reelquant.strategy.spec import Operand, StrategySpec

MIN_SAMPLES = 30
MIN_PER_CLASS = 5
THRESHOLD = 0.5
VOLUME_WINDOW = 20
ZSCORE_WINDOW = 60
LGB_PARAMS: dict[str, Any] = {
    "objective": "binary", "learning_rate": 0.05, "num_leaves": 7, "min_data_in_leaf": 5,
    "feature_fraction": 0.9, "bagging_fraction": 0.9, "bagging_freq": 1, "lambda_l2": 1.0,
    "seed": 7, "deterministic": True, "num_threads": 1, "verbosity": -1,
}
NUM_ROUNDS = 100


class SignalModelError(ValueError):
    """A signal model that cannot be trained, saved or loaded as asked."""


@dataclass
class SignalModelResult:
    """The meta-label model, how well it ranked unseen trades, and which rule entries it keeps."""

    entry_filter: pd.Series
    booster: Any | None = None
    reason: str | None = None
    n_samples: int = 0
    n_positive: int = 0
    oos_auc: float | None = None
    fold_aucs: list[float | None] = field(default_factory=list)
    n_oos_predictions: int = 0
    feature_names: list[str] = field(default_factory=list)
    feature_importances: dict[str, float] = field(default_factory=dict)
    oos_predictions: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))

    @property
    def trained(self) -> bool:
        return self.booster is not None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe summary (the filter and the booster themselves are left out)."""
        kept = int(self.entry_filter.sum())
        return {
            "trained": self.trained,
            "reason": self.reason,
            "n_samples": self.n_samples,
            "n_positive": self.n_positive,
            "oos_auc": self.oos_auc,
            "fold_aucs": list(self.fold_aucs),
            "n_oos_predictions": self.n_oos_predictions,
            "features": list(self.feature_names),
            "feature_importances": dict(self.feature_importances),
            "filter_rejected_bars": int(len(self.entry_filter) - kept),
            "threshold": THRESHOLD,
        }

    def save(self, path: str | Path) -> Path:
        """Write the booster to `path` (LightGBM text) and the summary and filter to `path` + ".json"."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if self.booster is not None:
            self.booster.save_model(str(path))
        meta = self.to_dict()
        meta["entry_filter"] = {"dates": [t.isoformat() for t in self.entry_filter.index],
                                "keep": [bool(v) for v in self.entry_filter.to_numpy()]}
        meta["oos_predictions"] = {t.isoformat(): float(v) for t, v in self.oos_predictions.items()}
        _meta_path(path).write_text(json.dumps(meta), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> SignalModelResult:
        """Read back what `save` wrote."""
        import lightgbm as lgb

        path = Path(path)
        meta_path = _meta_path(path)
        if not meta_path.is_file():
            raise SignalModelError(f"No signal model summary at {meta_path}: save the model there first.")
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        booster = lgb.Booster(model_file=str(path)) if meta["trained"] and path.is_file() else None
        if meta["trained"] and booster is None:
            raise SignalModelError(f"The booster file {path} is missing: save the model again.")
        ef = meta["entry_filter"]
        preds = meta.get("oos_predictions") or {}
        return cls(
            entry_filter=pd.Series(ef["keep"], index=pd.DatetimeIndex(pd.to_datetime(ef["dates"]), name="date"),
                                   dtype=bool),
            booster=booster, reason=meta["reason"], n_samples=meta["n_samples"], n_positive=meta["n_positive"],
            oos_auc=meta["oos_auc"], fold_aucs=meta["fold_aucs"], n_oos_predictions=meta["n_oos_predictions"],
            feature_names=meta["features"], feature_importances=meta["feature_importances"],
            oos_predictions=pd.Series({pd.Timestamp(k): v for k, v in preds.items()}, dtype=float),
        )


def _meta_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def _fmt(value: float | int | str) -> str:
    return f"{value:g}" if isinstance(value, int | float) else str(value)


def feature_name(operand: Operand) -> str:
    """`sma_window10`, `sma_source-volume_window50`, `rsi_window2_lag1`: the operand's series and offset."""
    params = "_".join(f"{k}-{_fmt(v)}" if k == "source" else f"{k}{_fmt(v)}"
                      for k, v in sorted(operand.resolved().items()))
    name = f"{operand.indicator}_{params}" if params else operand.indicator
    return f"{name}_lag{operand.offset}" if operand.offset else name


def _scale_free(operand: Operand, values: pd.Series, close: pd.Series) -> pd.Series:
    """The operand's values made comparable across price levels, by the registry's scale of the indicator."""
    scale = get(operand.indicator).scale
    if operand.resolved().get("source") == "volume":
        scale = Scale.VOLUME  # an average of volume is in volume units, whatever the average's usual scale
    if scale is Scale.PRICE:
        return values / close - 1.0
    if scale is Scale.VOLUME:
        return values / values.rolling(VOLUME_WINDOW).mean()
    if scale is Scale.UNBOUNDED:
        # MACD is in price units and OBV a running total: a trailing z-score makes both level-free.
        mean = values.rolling(ZSCORE_WINDOW, min_periods=ZSCORE_WINDOW // 3).mean()
        std = values.rolling(ZSCORE_WINDOW, min_periods=ZSCORE_WINDOW // 3).std()
        return (values - mean) / std
    return values  # oscillators are bounded already


def feature_operands(spec: StrategySpec) -> list[Operand]:
    """The spec's operands that give a feature: one per indicator series and offset (scale only multiplies)."""
    seen: dict[Any, Operand] = {}
    for operand in spec.operands():
        plain = operand.model_copy(update={"scale": 1.0})
        seen.setdefault((plain.series_key(), plain.offset), plain)
    return list(seen.values())


def build_features(spec: StrategySpec, df: pd.DataFrame) -> pd.DataFrame:
    """Per-bar features known at that bar's close: the spec's operands (scale-free) plus returns and volatility."""
    close = df["close"]
    feats: dict[str, pd.Series] = {}
    cache = OperandCache(df)
    for operand in feature_operands(spec):
        feats[feature_name(operand)] = _scale_free(operand, cache.get(operand), close)
    log_ret = np.log(close).diff()
    for n in (1, 5, 20):
        feats[f"ret_{n}"] = close.pct_change(n)
    feats["vol_20"] = log_ret.rolling(20).std()
    feats["vol_ratio_20_60"] = feats["vol_20"] / log_ret.rolling(60).std()
    feats["range_pct"] = (df["high"] - df["low"]) / close
    out = pd.DataFrame(feats, index=df.index)
    return out.replace([np.inf, -np.inf], np.nan)


def _auc(y: np.ndarray, p: np.ndarray) -> float | None:
    if len(y) == 0 or len(np.unique(y)) < 2:
        return None
    from sklearn.metrics import roc_auc_score

    value = float(roc_auc_score(y, p))
    return value if math.isfinite(value) else None


def walk_forward_folds(signal_pos: np.ndarray, end_pos: np.ndarray, n_splits: int,
                       embargo: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, test) sample indices per fold; samples are time-ordered by `signal_pos`.

    The samples are cut into n_splits + 1 consecutive blocks; fold k tests block k and trains on
    earlier samples whose outcome (`end_pos`) was known more than `embargo` bars before the test
    block's first signal, so no training label overlaps the test period.
    """
    blocks = np.array_split(np.arange(len(signal_pos)), n_splits + 1)
    folds = []
    for test in blocks[1:]:
        if len(test) == 0:
            continue
        train = np.arange(test[0])
        train = train[end_pos[train] < signal_pos[test[0]] - embargo]
        folds.append((train, test))
    return folds


def _labelled_trades(spec: StrategySpec, df: pd.DataFrame, config: BacktestConfig) -> pd.DataFrame:
    """One row per rule trade: its signal bar, the bar its outcome is known, and whether it made money."""
    trades = run_backtest(spec, df, config).trades
    if trades.empty:
        return pd.DataFrame(columns=["signal_pos", "end_pos", "label"])
    pos = df.index.get_indexer(pd.DatetimeIndex(trades["entry_time"]))
    exit_times = pd.DatetimeIndex(trades["exit_time"])
    end_pos = np.where(exit_times.isna(), len(df) - 1, df.index.get_indexer(exit_times.fillna(df.index[-1])))
    # The fill is on the bar after the decision, so the decision (and its features) is one bar earlier.
    out = pd.DataFrame({"signal_pos": pos - 1, "end_pos": end_pos, "label": (trades["pnl"] > 0).astype(int)})
    return out[out["signal_pos"] >= 0].sort_values("signal_pos").reset_index(drop=True)


def train_signal_model(spec: StrategySpec, df: pd.DataFrame, config: BacktestConfig | None = None,
                       n_splits: int = 4, embargo: int = 5) -> SignalModelResult:
    """Meta-label the rule's trades with LightGBM, trained walk-forward with purging and an embargo.

    Folds come from `walk_forward_folds` (earlier samples only, purged, embargoed). Entries in test blocks are kept when
    the predicted probability of profit is at least 0.5; earlier entries stay rule-only.
    """
    import lightgbm as lgb

    config = config or BacktestConfig()
    if n_splits < 1 or embargo < 0:
        raise SignalModelError(f"n_splits must be >= 1 and embargo >= 0, got {n_splits} and {embargo}: fix them.")
    keep_all = pd.Series(True, index=df.index, name="entry_filter")
    samples = _labelled_trades(spec, df, config)
    n, n_pos = len(samples), int(samples["label"].sum()) if len(samples) else 0
    base = {"n_samples": n, "n_positive": n_pos}
    if n < MIN_SAMPLES:
        return SignalModelResult(entry_filter=keep_all, reason=f"too few rule trades to learn from ({n} < "
                                 f"{MIN_SAMPLES}); every rule entry is kept", **base)
    if min(n_pos, n - n_pos) < MIN_PER_CLASS:
        return SignalModelResult(entry_filter=keep_all, reason=f"too few winning or losing trades ({n_pos} won, "
                                 f"{n - n_pos} lost; need {MIN_PER_CLASS} of each); every rule entry is kept",
                                 **base)
    features = build_features(spec, df)
    X = features.iloc[samples["signal_pos"].to_numpy()].to_numpy(dtype=float)
    y = samples["label"].to_numpy()
    names = list(features.columns)
    signal_pos = samples["signal_pos"].to_numpy()
    end_pos = samples["end_pos"].to_numpy()
    oos_prob = np.full(n, np.nan)
    fold_aucs: list[float | None] = []
    for train, test in walk_forward_folds(signal_pos, end_pos, n_splits, embargo):
        if len(train) < MIN_PER_CLASS * 2 or len(np.unique(y[train])) < 2:
            fold_aucs.append(None)
            continue
        booster = lgb.train(LGB_PARAMS, lgb.Dataset(X[train], y[train], feature_name=names), NUM_ROUNDS)
        oos_prob[test] = booster.predict(X[test])
        fold_aucs.append(_auc(y[test], oos_prob[test]))
    predicted = ~np.isnan(oos_prob)
    final = lgb.train(LGB_PARAMS, lgb.Dataset(X, y, feature_name=names), NUM_ROUNDS)
    gains = final.feature_importance(importance_type="gain")
    total = float(gains.sum()) or 1.0
    importances = {name: float(g / total) for name, g in sorted(zip(names, gains, strict=True),
                                                              key=lambda kv: -kv[1])}
    entry_filter = keep_all.copy()
    bars = df.index[signal_pos[predicted]]
    entry_filter.loc[bars] = oos_prob[predicted] >= THRESHOLD
    oos_auc = _auc(y[predicted], oos_prob[predicted])
    reason = None
    if not predicted.any():
        reason = "no walk-forward fold had both winning and losing trades to train on; every rule entry is kept"
    elif oos_auc is None:
        reason = "out-of-sample trades were all of one class, so AUC is not measurable"
    return SignalModelResult(
        entry_filter=entry_filter, booster=final, reason=reason, oos_auc=oos_auc, fold_aucs=fold_aucs,
        n_oos_predictions=int(predicted.sum()), feature_names=names, feature_importances=importances,
        oos_predictions=pd.Series(oos_prob[predicted], index=bars, dtype=float), **base,
    )
