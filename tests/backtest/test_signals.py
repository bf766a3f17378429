"""Compiling a spec into signals: comparisons, crosses, all/any, directions, and no use of later prices."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reelquant.backtest.indicators import compute_operand
from reelquant.backtest.signals import compile_signals, evaluate_condition
from reelquant.indicators import INDICATOR_NAMES, REGISTRY
from reelquant.strategy.spec import ConditionSet, Operand

from .builders import cond, frame, ind, spec_of

UPDOWN = frame([1, 2, 3, 2, 1, 2, 3])


def _true_at(s: pd.Series) -> list[int]:
    return [int(i) for i in np.flatnonzero(s.to_numpy())]


@pytest.mark.parametrize(
    ("op", "expected"),
    [
        ("crosses_above", [2, 6]),
        ("crosses_below", [3]),
        (">", [2, 6]),
        (">=", [2, 6]),
        ("<", [0, 1, 3, 4, 5]),
        ("<=", [0, 1, 3, 4, 5]),
    ],
)
def test_operators_against_a_constant(op: str, expected: list[int]) -> None:
    assert _true_at(evaluate_condition(cond(ind("close"), op, 2.5), UPDOWN)) == expected


def test_equality_counts_for_inclusive_operators_and_cross_start() -> None:
    assert _true_at(evaluate_condition(cond(ind("close"), ">=", 2), UPDOWN)) == [1, 2, 3, 5, 6]
    # touching the level and then moving through it is a cross; the touch itself is not
    assert _true_at(evaluate_condition(cond(ind("close"), "crosses_above", 2), UPDOWN)) == [2, 6]


def test_warm_up_never_fires() -> None:
    df = frame([5, 4, 3, 2, 1, 2, 3, 4, 5])
    below = evaluate_condition(cond(ind("sma", window=3), "<", 100), df)
    assert _true_at(below) == list(range(2, 9))
    fast_over_slow = evaluate_condition(cond(ind("sma", window=2), "crosses_above", ind("sma", window=4)), df)
    assert _true_at(fast_over_slow) == [6]


def test_all_and_any_sets() -> None:
    above_15 = cond(ind("close"), ">", 1.5)
    below_25 = cond(ind("close"), "<", 2.5)
    both = compile_signals(spec_of([above_15, below_25], entry_mode="all"), UPDOWN).long_entries
    either = compile_signals(spec_of([above_15, below_25], entry_mode="any"), UPDOWN).long_entries
    assert _true_at(both) == [1, 3, 5]
    assert _true_at(either) == list(range(7))


@pytest.mark.parametrize("direction", ["long", "short", "reverse"])
def test_direction_mapping(direction: str) -> None:
    spec = spec_of([cond(ind("close"), "crosses_above", 2.5)], [cond(ind("close"), "crosses_below", 2.5)],
                   direction=direction)
    sig = compile_signals(spec, UPDOWN)
    up, down = [2, 6], [3]
    got = {k: _true_at(getattr(sig, k)) for k in ("long_entries", "long_exits", "short_entries", "short_exits")}
    expected = {
        "long": {"long_entries": up, "long_exits": down, "short_entries": [], "short_exits": []},
        "short": {"long_entries": [], "long_exits": [], "short_entries": up, "short_exits": down},
        "reverse": {"long_entries": up, "long_exits": down, "short_entries": down, "short_exits": up},
    }[direction]
    assert got == expected
    assert all(getattr(sig, k).index.equals(UPDOWN.index) and getattr(sig, k).dtype == bool for k in got)


def test_empty_exit_set_never_fires() -> None:
    spec = spec_of([cond(ind("close"), ">", 0)])
    sig = compile_signals(spec, UPDOWN)
    assert sig.long_entries.all() and not sig.long_exits.any()
    assert ConditionSet.of("any", []).conditions == []


# Daily bars have no session for VWAP to restart in; every other indicator of the registry is compiled.
DAILY_INDICATORS = [name for name in INDICATOR_NAMES if not REGISTRY[name].intraday_only]


@pytest.mark.parametrize("name", DAILY_INDICATORS)
def test_compiled_signals_do_not_look_ahead(goog: pd.DataFrame, name: str) -> None:
    """Signals at or before bar t are the same whatever happens after t."""
    df = goog.iloc[:500]
    t = 320
    indicator = Operand(indicator=name)
    level = float(compute_operand(indicator, df).iloc[:t].median())
    spec = spec_of([cond(indicator, "crosses_above", level)], [cond(indicator, "crosses_below", level)],
                   direction="reverse")
    changed = df.copy()
    changed.iloc[t + 1:] = changed.iloc[t + 1:].to_numpy() * np.random.default_rng(5).uniform(
        0.5, 1.5, size=(len(df) - t - 1, 1))
    before, after = compile_signals(spec, df), compile_signals(spec, changed)
    assert before.long_entries.iloc[: t + 1].any()
    for field in ("long_entries", "long_exits", "short_entries", "short_exits"):
        pd.testing.assert_series_equal(getattr(before, field).iloc[: t + 1], getattr(after, field).iloc[: t + 1])


def test_operand_reads_offset_bars_back_times_scale() -> None:
    df = frame([10, 12, 14, 16, 18], volume=[100, 200, 300, 400, 500])
    got = compute_operand(ind("sma", offset=1, scale=0.5, window=2), df)
    # SMA(2) is nan, 11, 13, 15, 17; one bar back and halved
    assert got.iloc[:2].isna().all()
    assert got.iloc[2:].tolist() == [5.5, 6.5, 7.5]
    volume_avg = compute_operand(ind("sma", window=2, source="volume"), df)
    assert volume_avg.iloc[1:].tolist() == [150, 250, 350, 450]


def test_a_side_that_is_none_never_fires() -> None:
    spec = spec_of([cond(ind("close"), ">", 0)], direction="short")
    sig = compile_signals(spec, UPDOWN)
    assert spec.long is None and not sig.long_entries.any() and not sig.long_exits.any()
    assert sig.short_entries.all()
