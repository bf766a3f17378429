"""Promotion gates: decide from out-of-sample backtest metrics whether a lesson's strategy is worth keeping."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reelquant.backtest.engine import BacktestResult
from reelquant.backtest.robustness import RobustnessResult, robustness_from


@dataclass
class PromotionGates:
    """Thresholds a strategy must meet out of sample; max_drawdown is a positive fraction (0.35 = 35 %)."""

    min_trades: int = 10
    min_oos_sharpe: float = 0.5
    max_drawdown: float = 0.35
    must_beat_buy_and_hold_sharpe: bool = True
    min_oos_total_return: float = 0.0
    # In-sample Sharpe far above out-of-sample is the signature of a fit to noise.
    max_sharpe_decay: float | None = None
    # Checked when decide() is given a robustness result: the share of parameter neighbours with a
    # positive out-of-sample Sharpe, and the deflated Sharpe probability over all variants tried.
    min_robustness_share: float | None = 0.6
    min_deflated_sharpe: float | None = 0.95


@dataclass
class Decision:
    """Promoted only when every gate passed; one line per gate, passed or failed, with the numbers."""

    promoted: bool
    reasons: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"promoted": self.promoted, "reasons": list(self.reasons)}


class PromotionError(ValueError):
    """A backtest result that carries no metrics to judge."""


def _metrics(result: BacktestResult | Mapping[str, Any]) -> dict[str, dict[str, float]]:
    if isinstance(result, BacktestResult):
        return result.metrics
    # The backtest asset's value holds the rule-only result under "rule_only"; a to_dict() has "metrics".
    body = result.get("rule_only", result) if isinstance(result, Mapping) else None
    metrics = body.get("metrics") if isinstance(body, Mapping) else None
    if not isinstance(metrics, Mapping) or "out_of_sample" not in metrics:
        raise PromotionError("The backtest result has no out-of-sample metrics: run the backtest first.")
    return {seg: dict(m) for seg, m in metrics.items()}


def _pair(value: float, bound: float, spec: str = ".2f") -> tuple[str, str]:
    """`value` and `bound` printed with enough decimals that they differ when they are not equal,
    so a failed gate never reads "0.50 < minimum 0.50"."""
    kind = spec[-1]
    digits = int(spec[1:-1])
    for extra in range(4):
        fmt = f".{digits + extra}{kind}"
        a, b = format(value, fmt), format(bound, fmt)
        if a != b or value == bound:
            return a, b
    return a, b


def decide(result: BacktestResult | Mapping[str, Any], gates: PromotionGates | None = None,
           robustness: RobustnessResult | Mapping[str, Any] | None = None) -> Decision:
    """Check every gate on the out-of-sample metrics; accepts a BacktestResult or its to_dict() form.

    With a robustness result (or its to_dict() form) the robustness-share and deflated-Sharpe gates
    are checked too; without one they are not part of the decision.
    """
    gates = gates or PromotionGates()
    metrics = _metrics(result)
    oos = metrics["out_of_sample"]
    checks: list[tuple[bool, str]] = []
    trades = int(oos["trades"])
    checks.append((trades >= gates.min_trades,
                   f"out-of-sample trades {trades} {'>=' if trades >= gates.min_trades else '<'} "
                   f"minimum {gates.min_trades}"))
    sharpe = float(oos["sharpe"])
    a, b = _pair(sharpe, gates.min_oos_sharpe)
    checks.append((sharpe >= gates.min_oos_sharpe,
                   f"out-of-sample Sharpe {a} {'>=' if sharpe >= gates.min_oos_sharpe else '<'} minimum {b}"))
    dd = float(oos["max_drawdown"])
    a, b = _pair(dd, gates.max_drawdown, ".1%")
    checks.append((dd <= gates.max_drawdown,
                   f"out-of-sample max drawdown {a} {'<=' if dd <= gates.max_drawdown else '>'} limit {b}"))
    ret = float(oos["total_return"])
    a, b = _pair(ret, gates.min_oos_total_return, ".1%")
    checks.append((ret >= gates.min_oos_total_return,
                   f"out-of-sample return {a} {'>=' if ret >= gates.min_oos_total_return else '<'} minimum {b}"))
    if gates.must_beat_buy_and_hold_sharpe:
        bh = float(oos.get("buy_and_hold_sharpe", 0.0))
        a, b = _pair(sharpe, bh)
        checks.append((sharpe > bh, f"out-of-sample Sharpe {a} {'>' if sharpe > bh else '<='} buy-and-hold Sharpe {b}"))
    if gates.max_sharpe_decay is not None:
        decay = float(metrics.get("in_sample", {}).get("sharpe", 0.0)) - sharpe
        checks.append((decay <= gates.max_sharpe_decay,
                       f"Sharpe fell {decay:.2f} from in-sample to out-of-sample "
                       f"({'<=' if decay <= gates.max_sharpe_decay else '>'} allowed {gates.max_sharpe_decay:.2f})"))
    if robustness is not None:
        share, dsr, trials = robustness_from(robustness)
        if gates.min_robustness_share is not None:
            ok = share >= gates.min_robustness_share
            checks.append((ok, f"{share:.0%} of parameter neighbours have a positive out-of-sample Sharpe "
                               f"({'>=' if ok else '<'} minimum {gates.min_robustness_share:.0%})"))
        if gates.min_deflated_sharpe is not None:
            ok = dsr >= gates.min_deflated_sharpe
            checks.append((ok, f"deflated Sharpe probability {dsr:.2f} over {trials} trials "
                               f"{'>=' if ok else '<'} minimum {gates.min_deflated_sharpe:.2f}"))
    promoted = all(ok for ok, _ in checks)
    failed = sum(not ok for ok, _ in checks)
    headline = (f"promoted: all {len(checks)} gates passed" if promoted
                else f"rejected: {failed} of {len(checks)} gates failed")
    reasons = [headline] + [f"{'passed' if ok else 'failed'}: {text}" for ok, text in checks]
    return Decision(promoted=promoted, reasons=reasons)
