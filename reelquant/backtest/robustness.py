"""Parameter robustness: rerun a spec with every numeric parameter nudged ±10/20/30 %, and deflate its Sharpe for the trials.

A rule whose neighbours mostly lose out of sample was fitted to noise; the deflated Sharpe ratio
(Bailey and López de Prado, 2014) asks whether the out-of-sample Sharpe survives the number of variants tried.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from reelquant.backtest.engine import (
    BacktestConfig,
    BacktestError,
    StopPlan,
    _sharpe,
    _simulate,
)
from reelquant.backtest.signals import SIGNAL_NAMES, OperandCache, Signals, compile_signals
from reelquant.backtest.sweep import _sharpe_of, _simulate_sides, periods_per_year, segment_bounds
from reelquant.indicators import get
from reelquant.strategy.spec import STOP_FIELDS, Operand, StrategySpec

DEFAULT_STEPS: tuple[float, ...] = (0.1, 0.2, 0.3)
# 7 levels for each of three parameters is a full grid; beyond that a seeded sample keeps the cost bounded.
DEFAULT_MAX_VARIANTS = 343
EULER_GAMMA = 0.5772156649015329
TABLE_COLUMNS: tuple[str, ...] = ("oos_sharpe", "oos_total_return", "oos_trades", "is_base")


class RobustnessError(ValueError):
    """A robustness sweep or heatmap that cannot be made for this spec."""


@dataclass(frozen=True)
class Parameter:
    """One numeric knob of a spec: an indicator parameter, a condition's threshold, or a stop distance."""

    name: str
    base: float
    integer: bool
    # Where it lives: ("indicator", series key, param name), ("threshold", condition key) or ("stop", field).
    where: tuple[Any, ...]
    # The smallest value the parameter may take (the registry's minimum; 0 for thresholds and stop values).
    minimum: float = 0.0


@dataclass
class RobustnessResult:
    """Out-of-sample results of the spec and its neighbours, the share that stayed positive, and the deflated Sharpe."""

    parameters: list[Parameter]
    table: pd.DataFrame  # one row per variant: a column per parameter, then TABLE_COLUMNS
    share_positive: float
    n_trials: int
    base_oos_sharpe: float
    deflated_sharpe: float
    engine: str
    steps: tuple[float, ...] = DEFAULT_STEPS
    sampled: bool = False

    @property
    def n_neighbours(self) -> int:
        return int((~self.table["is_base"]).sum())

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe summary with the full variant table as records."""
        records = [{k: (bool(v) if k == "is_base" else float(v)) for k, v in row.items()}
                   for row in self.table.to_dict(orient="records")]
        return {
            "parameters": [{"name": p.name, "base": p.base, "integer": p.integer} for p in self.parameters],
            "share_positive": _finite(self.share_positive),
            "n_neighbours": self.n_neighbours,
            "n_trials": self.n_trials,
            "base_oos_sharpe": _finite(self.base_oos_sharpe),
            "deflated_sharpe": _finite(self.deflated_sharpe),
            "engine": self.engine,
            "steps": list(self.steps),
            "sampled": self.sampled,
            "variants": records,
        }


def _finite(value: float) -> float:
    value = float(value)
    return value if math.isfinite(value) else 0.0


def _fmt(value: float) -> str:
    return f"{value:g}"


def spec_parameters(spec: StrategySpec) -> list[Parameter]:
    """Every numeric parameter of the spec, each once, in a stable order: indicators, thresholds, stops.

    Indicator parameters come from the registry (which are whole numbers, and their minimum); an
    indicator series used in several conditions (the fast SMA in both the entry and the exit cross, or
    `rsi` and `rsi offset 1`) is one parameter, and defaults the spec leaves implicit (RSI's 14) count
    too. A threshold used by the same condition in several places (a stop-and-reverse spec's long exit
    and short entry) is one parameter. Zero thresholds have no relative neighbourhood and are left
    alone; offsets and scales are part of the rule's wording and stay as taught.
    """
    params: list[Parameter] = []
    seen_series: set[Any] = set()
    for operand in spec.operands():
        key = operand.series_key()
        if key in seen_series:
            continue
        seen_series.add(key)
        decl = get(operand.indicator)
        resolved = operand.resolved()
        numeric = [p for p in decl.params if p.name in resolved]
        if not numeric:
            continue
        # The source is part of the name: an SMA(50) of volume and one of the close are two parameters.
        shown = [_fmt(float(resolved[p.name])) for p in numeric] + [str(resolved[k]) for k in ("source",)
                                                                     if k in resolved]
        label = f"{operand.indicator}({', '.join(shown)})"
        for p in numeric:
            params.append(Parameter(name=f"{label}.{p.name}", base=float(resolved[p.name]), integer=p.integer,
                                    where=("indicator", key, p.name), minimum=float(p.minimum)))
    seen_conds: set[Any] = set()
    for part, cond in spec.conditions():
        if isinstance(cond.right, Operand) or float(cond.right) == 0.0 or cond.key() in seen_conds:
            continue
        seen_conds.add(cond.key())
        params.append(Parameter(name=f"{part} {cond.left.indicator} {cond.op} threshold", base=float(cond.right),
                                integer=False, where=("threshold", cond.key())))
    for stop in STOP_FIELDS:
        value = getattr(spec.stops, stop)
        if value:
            whole = stop == "max_bars_held"
            params.append(Parameter(name=stop, base=float(value), integer=whole, where=("stop", stop),
                                    minimum=1.0 if whole else 0.0))
    return params


def parameter_levels(param: Parameter, steps: Sequence[float]) -> list[float]:
    """The parameter's base and its values ±each step, whole where it must be, never under its minimum."""
    out: list[float] = []
    for factor in sorted({1.0, *(1 - s for s in steps), *(1 + s for s in steps)}):
        value = param.base * factor
        if param.integer:
            value = float(int(round(value)))
        value = max(value, param.minimum) if param.minimum > 0 else value
        if value not in out:
            out.append(value)
    return out


def apply_values(spec: StrategySpec, params: Sequence[Parameter], values: Sequence[float]) -> StrategySpec:
    """A copy of the spec with each parameter set to its value."""
    by_series: dict[Any, dict[str, float | int]] = {}
    thresholds: dict[Any, float] = {}
    data = spec.to_dict()
    for param, value in zip(params, values, strict=True):
        kind = param.where[0]
        if kind == "indicator":
            by_series.setdefault(param.where[1], {})[param.where[2]] = int(value) if param.integer else value
        elif kind == "threshold":
            thresholds[param.where[1]] = value
        else:
            data["stops"][param.where[1]] = int(value) if param.integer else value
    for part, cond in spec.conditions():
        side, rest = part.split(".", 1)
        which, index = rest.rstrip("]").split("[")
        cset = data[side][which]
        node = cset["all" if cset.get("all") is not None else "any"][int(index)]
        if cond.key() in thresholds:
            node["right"] = thresholds[cond.key()]
        for name, operand in (("left", cond.left), ("right", cond.right)):
            if isinstance(operand, Operand) and operand.series_key() in by_series:
                node[name]["params"] = {**operand.resolved(), **by_series[operand.series_key()]}
    return StrategySpec.from_dict(data)


def _kind(param: Parameter) -> tuple[Any, ...]:
    """An indicator parameter's kind: the indicator and the series it is computed on (an SMA of volume
    and an SMA of the close are not a fast and a slow average of one thing)."""
    name, params = param.where[1]
    return name, dict(params).get("source", "close")


def _keeps_order(params: Sequence[Parameter], values: Sequence[float]) -> bool:
    """False when two windows of the same kind swap or meet (a fast average no longer faster than the slow one)."""
    for (pa, va), (pb, vb) in itertools.combinations(zip(params, values, strict=True), 2):
        if pa.where[0] != "indicator" or pb.where[0] != "indicator" or pa.where[2] != pb.where[2]:
            continue
        if _kind(pa) != _kind(pb) or pa.base == pb.base:
            continue
        if (pa.base < pb.base) != (va < vb) or va == vb:
            return False
    return True


def _variants(params: Sequence[Parameter], steps: Sequence[float], max_variants: int,
              seed: int) -> tuple[list[tuple[float, ...]], bool]:
    levels = [parameter_levels(p, steps) for p in params]
    base = tuple(p.base for p in params)
    total = math.prod(len(lv) for lv in levels)
    if total <= max_variants:
        grid = [v for v in itertools.product(*levels) if _keeps_order(params, v)]
        return [base] + [v for v in grid if v != base], False
    # Too many combinations: every one-parameter move first, then a seeded random sample of combinations.
    chosen: list[tuple[float, ...]] = [base]
    seen = {base}
    for i, lv in enumerate(levels):
        for value in lv:
            v = base[:i] + (value,) + base[i + 1:]
            if v not in seen and _keeps_order(params, v):
                chosen.append(v)
                seen.add(v)
    rng = random.Random(seed)
    tries = 0
    while len(chosen) < max_variants and tries < 20 * max_variants:
        tries += 1
        v = tuple(rng.choice(lv) for lv in levels)
        if v not in seen and _keeps_order(params, v):
            chosen.append(v)
            seen.add(v)
    return chosen[:max(max_variants, 1)], True


def _uses_kernel(spec: StrategySpec, config: BacktestConfig) -> bool:
    """The numba kernel covers rules without stops or a time exit (either side) in fractional shares;
    vectorbt runs the rest."""
    return not config.whole_shares and not spec.stops.any_set()


def _oos_kernel(spec: StrategySpec, df: pd.DataFrame, config: BacktestConfig, open_: np.ndarray,
                close: np.ndarray, lo: int, hi: int, ppy: float, cache: OperandCache) -> tuple[dict[str, float], np.ndarray]:
    signals = compile_signals(spec, df, cache)
    equity = np.zeros(len(df))
    arrays = [getattr(signals, name).to_numpy(dtype=np.bool_) for name in SIGNAL_NAMES]
    trades = _simulate_sides(open_, close, *arrays, lo, hi, float(config.init_cash), float(config.fees),
                             float(config.slippage), equity)
    sharpe = _sharpe_of(equity, lo, hi, float(config.init_cash), ppy)
    return ({"sharpe": sharpe, "total_return": equity[hi - 1] / config.init_cash - 1.0, "trades": float(trades)},
            equity[lo:hi].copy())


def _oos_vectorbt_batch(specs: Sequence[StrategySpec], df: pd.DataFrame, config: BacktestConfig,
                        lo: int, hi: int, ppy: float) -> list[tuple[dict[str, float], np.ndarray]]:
    """All variants in one vectorbt simulation, one column each, through the engine's own _simulate."""
    cache = OperandCache(df)
    compiled = [compile_signals(spec, df, cache) for spec in specs]
    columns = pd.RangeIndex(len(specs))
    signals = Signals(**{name: pd.concat([getattr(c, name) for c in compiled], axis=1, keys=columns)
                         for name in SIGNAL_NAMES})
    # Variants differ in stop values, never in stop kinds, so every column takes the same path.
    pf = _simulate(df, signals, config, [StopPlan.of(spec, df) for spec in specs], lo, hi)
    equity = pf.value().to_numpy(dtype=float)
    trades = np.asarray(pf.trades.count(), dtype=float).reshape(-1)
    out = []
    for k in range(len(specs)):
        values = equity[:, k]
        returns = _returns(values, float(config.init_cash))
        out.append(({"sharpe": _sharpe(returns, ppy), "total_return": values[-1] / config.init_cash - 1.0,
                     "trades": float(trades[k])}, values))
    return out


def _returns(equity: np.ndarray, init_cash: float) -> np.ndarray:
    prev = np.concatenate([[init_cash], equity[:-1]])
    return equity / prev - 1.0


def expected_max_sharpe(n_trials: int, trials_sharpe_std: float) -> float:
    """Expected best Sharpe among `n_trials` variants whose true Sharpe is zero, in the trials' units."""
    if n_trials <= 1 or trials_sharpe_std <= 0:
        return 0.0
    return trials_sharpe_std * ((1 - EULER_GAMMA) * stats.norm.ppf(1 - 1 / n_trials)
                                + EULER_GAMMA * stats.norm.ppf(1 - 1 / (n_trials * math.e)))


def deflated_sharpe_ratio(sharpe: float, n_obs: int, skew: float, kurtosis: float, n_trials: int,
                          trials_sharpe_std: float) -> float:
    """Bailey and López de Prado's deflated Sharpe ratio from per-bar moments (kurtosis not in excess).

    The probability that the true per-bar Sharpe exceeds the best one `n_trials` luck-only variants with
    that spread of Sharpe ratios would show, corrected for skewness and fat tails.
    """
    if n_obs < 2:
        return 0.0
    sr0 = expected_max_sharpe(n_trials, trials_sharpe_std)
    # Extreme skew can drive the variance term negative; floor it rather than divide by nothing.
    denom = math.sqrt(max(1 - skew * sharpe + (kurtosis - 1) / 4 * sharpe * sharpe, 1e-12))
    return float(stats.norm.cdf((sharpe - sr0) * math.sqrt(n_obs - 1) / denom))


def deflated_sharpe(returns: np.ndarray, n_trials: int, trial_sharpes: Sequence[float] | None = None,
                    periods_per_year: float = 252.0) -> float:
    """Deflated Sharpe ratio of these bar returns after `n_trials` variants with the given Sharpe ratios.

    `trial_sharpes` are annualised, as the metrics report them; their spread sets the bar the best
    variant must clear. With one trial (or none given) it is the probabilistic Sharpe ratio against
    zero. Returns 0.0 when the returns carry no information (too short or flat).
    """
    r = np.asarray(returns, dtype=float)
    r = r[np.isfinite(r)]
    if len(r) < 3 or r.std(ddof=1) <= 0:
        return 0.0
    spread = 0.0
    if trial_sharpes is not None and len(trial_sharpes) > 1:
        spread = float(np.std(np.asarray(trial_sharpes, dtype=float), ddof=1)) / math.sqrt(periods_per_year)
    return deflated_sharpe_ratio(float(r.mean() / r.std(ddof=1)), len(r), float(stats.skew(r)),
                                 float(stats.kurtosis(r, fisher=False)), n_trials, spread)


def robustness(spec: StrategySpec, df: pd.DataFrame, config: BacktestConfig | None = None,
               steps: Sequence[float] = DEFAULT_STEPS, max_variants: int = DEFAULT_MAX_VARIANTS,
               seed: int = 0) -> RobustnessResult:
    """Run the spec and its parameter neighbours out of sample; see the module docstring.

    Each numeric parameter moves by ±`steps` (whole numbers for windows), alone and in combination: the
    full grid while it has at most `max_variants` points, otherwise every one-parameter move plus a seeded
    sample. Variants in which two windows of the same kind swap order are skipped. Every variant counts as
    a trial for the deflated Sharpe. Rules without stops run on the numba kernel; the others run
    on vectorbt, every variant a column of one simulation.
    """
    config = config or BacktestConfig()
    if not spec.testable:
        raise BacktestError("The spec is not testable, so there is nothing to sweep: extract a rule first.")
    if any(s <= 0 or s >= 1 for s in steps):
        raise RobustnessError(f"Robustness steps must be fractions between 0 and 1, got {list(steps)}: fix them.")
    if len(df) < 10:
        raise BacktestError(f"Only {len(df)} bars: a sweep needs at least 10, load a longer history.")
    params = spec_parameters(spec)
    variants, sampled = _variants(params, steps, max_variants, seed) if params else ([()], False)
    lo, hi = segment_bounds(len(df), config, "out_of_sample")
    ppy = periods_per_year(pd.DatetimeIndex(df.index[lo:hi]))
    kernel = _uses_kernel(spec, config)
    open_, close = df["open"].to_numpy(dtype=float), df["close"].to_numpy(dtype=float)
    specs = [apply_values(spec, params, values) if params else spec for values in variants]
    if kernel:
        cache = OperandCache(df)
        outcomes = [_oos_kernel(variant, df, config, open_, close, lo, hi, ppy, cache) for variant in specs]
    else:
        outcomes = _oos_vectorbt_batch(specs, df, config, lo, hi, ppy)
    rows: list[dict[str, Any]] = []
    for k, (values, (metrics, _)) in enumerate(zip(variants, outcomes, strict=True)):
        row: dict[str, Any] = {p.name: v for p, v in zip(params, values, strict=True)}
        row.update(oos_sharpe=_finite(metrics["sharpe"]), oos_total_return=_finite(metrics["total_return"]),
                   oos_trades=float(metrics["trades"]), is_base=k == 0)
        rows.append(row)
    base_equity = outcomes[0][1]
    table = pd.DataFrame(rows, columns=[p.name for p in params] + list(TABLE_COLUMNS))
    neighbours = table.loc[~table["is_base"], "oos_sharpe"]
    share = float((neighbours > 0).mean()) if len(neighbours) else 0.0
    n_trials = len(table)
    dsr = deflated_sharpe(_returns(base_equity, float(config.init_cash)), n_trials,
                          table["oos_sharpe"].to_numpy(), ppy)
    return RobustnessResult(
        parameters=params, table=table, share_positive=share, n_trials=n_trials,
        base_oos_sharpe=float(table["oos_sharpe"].iloc[0]), deflated_sharpe=dsr,
        engine="numba kernel" if kernel else "vectorbt", steps=tuple(steps), sampled=sampled,
    )


def heatmap_png(result: RobustnessResult, x: str | None = None, y: str | None = None) -> bytes:
    """PNG heatmap of out-of-sample Sharpe over two parameters (the first two by default), others at their base."""
    names = [p.name for p in result.parameters]
    if len(names) < 2:
        raise RobustnessError(f"A heatmap needs two parameters and this rule has {len(names)}: "
                              "show the variant table instead.")
    x = x or names[0]
    y = y or names[1]
    for name in (x, y):
        if name not in names:
            raise RobustnessError(f"{name!r} is not a parameter of this rule: choose one of {', '.join(names)}.")
    table = result.table
    mask = pd.Series(True, index=table.index)
    for p in result.parameters:
        if p.name not in (x, y):
            mask &= table[p.name] == p.base
    grid = table[mask].pivot_table(index=y, columns=x, values="oos_sharpe", aggfunc="mean")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from reelquant.plots import figure_png

    fig, ax = plt.subplots(figsize=(6.5, 5))
    try:
        values = grid.to_numpy(dtype=float)
        limit = float(np.nanmax(np.abs(values))) if np.isfinite(values).any() else 1.0
        image = ax.imshow(values, origin="lower", cmap="RdYlGn", vmin=-limit, vmax=limit, aspect="auto")
        ax.set_xticks(range(len(grid.columns)), [_fmt(v) for v in grid.columns], rotation=45)
        ax.set_yticks(range(len(grid.index)), [_fmt(v) for v in grid.index])
        for i in range(values.shape[0]):
            for j in range(values.shape[1]):
                if np.isfinite(values[i, j]):
                    ax.text(j, i, f"{values[i, j]:.2f}", ha="center", va="center", fontsize=7)
        base = {p.name: p.base for p in result.parameters}
        if base[x] in grid.columns and base[y] in grid.index:
            ax.add_patch(plt.Rectangle((list(grid.columns).index(base[x]) - 0.5,
                                        list(grid.index).index(base[y]) - 0.5), 1, 1,
                                       fill=False, edgecolor="black", lw=2))
        ax.set_xlabel(x)
        ax.set_ylabel(y)
        ax.set_title(f"out-of-sample Sharpe; {result.share_positive:.0%} of neighbours positive", fontsize=9)
        fig.colorbar(image, ax=ax, label="Sharpe")
        return figure_png(fig, dpi=90)
    finally:
        plt.close(fig)


def robustness_from(value: RobustnessResult | Mapping[str, Any]) -> tuple[float, float, int]:
    """(share positive, deflated Sharpe, trials) from a result or its to_dict() form."""
    if isinstance(value, RobustnessResult):
        return value.share_positive, value.deflated_sharpe, value.n_trials
    try:
        return float(value["share_positive"]), float(value["deflated_sharpe"]), int(value["n_trials"])
    except (KeyError, TypeError, ValueError) as exc:
        raise RobustnessError("The robustness result lacks share_positive, deflated_sharpe or n_trials: "
                              "run robustness() and pass its result.") from exc


__all__ = [
    "DEFAULT_STEPS", "Parameter", "RobustnessError", "RobustnessResult", "apply_values", "deflated_sharpe",
    "deflated_sharpe_ratio", "expected_max_sharpe", "heatmap_png", "parameter_levels", "robustness",
    "robustness_from", "spec_parameters",
]
