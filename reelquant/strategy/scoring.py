"""Score an extracted StrategySpec against a labeled one, the way the labeled lessons define it.

Per part (entry, exit, each stop field) the predicted and labeled sets of normalized conditions are
compared; name, assumptions, provenance and confidence are not scored. A spec counts as exact when it
says testable exactly when the label does and, for a testable label, every part and the direction match.
"Wrong testable" is a rule produced for a lesson labeled not testable; the opposite slip (no rule where
one is taught) is counted apart as "missed testable", since saying "cannot tell" is not a wrong strategy.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from reelquant.strategy.spec import StrategySpec

STOP_FIELDS: tuple[str, ...] = ("stop_loss_pct", "take_profit_pct", "trailing_stop_pct", "stop_loss_atr")


def spec_items(spec: StrategySpec) -> set[tuple[Any, ...]]:
    """Scored items: (part, normalized condition) and (stop field, value); none when untestable."""
    if not spec.testable:
        return set()
    items: set[tuple[Any, ...]] = {("entry", c.key()) for c in spec.entry.conditions}
    items |= {("exit", c.key()) for c in spec.exit.conditions}
    for name in STOP_FIELDS:
        value = getattr(spec, name)
        if value is not None:
            items.add((name, round(float(value), 6)))
    return items


def score_spec(pred: StrategySpec, label: StrategySpec) -> dict[str, Any]:
    """exact, tp/fp/fn over entry, exit and stop items, wrong_testable and missed_testable."""
    p, g = spec_items(pred), spec_items(label)
    tp, fp, fn = len(p & g), len(p - g), len(g - p)
    wrong_testable = pred.testable and not label.testable
    missed_testable = label.testable and not pred.testable
    exact = pred.testable == label.testable and fp == 0 and fn == 0
    if exact and label.testable:
        exact = pred.direction == label.direction and all(
            len(part.conditions) < 2 or part.mode == lpart.mode
            for part, lpart in ((pred.entry, label.entry), (pred.exit, label.exit))
        )
    return {
        "exact": exact,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "wrong_testable": wrong_testable,
        "missed_testable": missed_testable,
    }


def score_many(pairs: Iterable[tuple[StrategySpec, StrategySpec]]) -> dict[str, Any]:
    """Totals over (pred, label) pairs: n, exact, tp/fp/fn, precision, recall, wrong and missed testable."""
    n = exact = tp = fp = fn = wrong = missed = 0
    for pred, label in pairs:
        s = score_spec(pred, label)
        n += 1
        exact += int(s["exact"])
        tp, fp, fn = tp + s["tp"], fp + s["fp"], fn + s["fn"]
        wrong += int(s["wrong_testable"])
        missed += int(s["missed_testable"])
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return {
        "n": n,
        "exact": exact,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "precision": precision,
        "recall": recall,
        "wrong_testable": wrong,
        "missed_testable": missed,
    }
