"""Instruments a lesson's setups are backtested on, and which setup can run on which instrument.

A setup reads its rules on one bar size (`StrategySpec.timeframe`); it runs only on instruments with bars of
that size, and an indicator that needs intraday bars (VWAP) never runs on daily ones. Whatever cannot run is
skipped for that market with a reason in the record, never an error that stops the run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from reelquant.indicators import get
from reelquant.strategy.spec import StrategySpec

_UNITS = {"m": "m", "min": "m", "minute": "m", "minutes": "m", "h": "h", "hr": "h", "hour": "h", "hours": "h",
          "hourly": "h", "d": "d", "day": "d", "days": "d", "daily": "d", "w": "w", "wk": "w", "week": "w",
          "weeks": "w", "weekly": "w"}
# pandas offsets for the bar sizes (a weekly bar is 7 calendar days, not an anchored week).
_FREQ = {"m": "min", "h": "h", "d": "D", "w": "7D"}


class TimeframeError(ValueError):
    """A bar size that is not a number of minutes, hours, days or weeks."""


def normalize_timeframe(text: str) -> str:
    """`1d`, `1h`, `15m`, `1w` from how people write bar sizes ("1D", "daily", "60m", "4 hours")."""
    raw = str(text).strip().lower()
    match = re.fullmatch(r"(\d*)\s*([a-z]+)", raw)
    unit = _UNITS.get(match.group(2)) if match else None
    if match is None or unit is None:
        raise TimeframeError(f"{text!r} is not a bar size: write it as 15m, 1h, 1d or 1w.")
    n = int(match.group(1) or 1)
    if unit == "m" and n % 60 == 0:
        n, unit = n // 60, "h"
    if unit == "h" and n == 24:
        n, unit = 1, "d"
    return f"{n}{unit}"


def timeframe_freq(timeframe: str) -> str:
    """The pandas frequency of a bar size, as vectorbt takes it: `1d` -> `1D`, `15m` -> `15min`."""
    tf = normalize_timeframe(timeframe)
    return f"{tf[:-1]}{_FREQ[tf[-1]]}"


def is_intraday(timeframe: str) -> bool:
    return normalize_timeframe(timeframe)[-1] in ("m", "h")


def bar_minutes(timeframe: str) -> int:
    """How many minutes one bar spans (a daily bar counts 24 hours, a weekly one 7 days)."""
    tf = normalize_timeframe(timeframe)
    return int(tf[:-1]) * {"m": 1, "h": 60, "d": 1440, "w": 10080}[tf[-1]]


def infer_timeframe(index: pd.DatetimeIndex) -> str:
    """The bar size of a series of bars from the median spacing of its timestamps (weekends and holidays aside)."""
    if len(index) < 2:
        return "1d"
    step = pd.Series(index).diff().dropna().median()
    if step >= pd.Timedelta(days=5):
        return "1w"
    if step >= pd.Timedelta(hours=20):
        return "1d"
    return normalize_timeframe(f"{max(1, round(step.total_seconds() / 60))}m")


@dataclass
class Instrument:
    """One market's bars: the symbol, their bar size and the OHLCV frame."""

    symbol: str
    timeframe: str
    bars: pd.DataFrame

    @property
    def name(self) -> str:
        return f"{self.symbol} {self.timeframe}"

    def describe(self) -> str:
        if not len(self.bars):
            return f"{self.name}: no bars"
        return f"{self.name}: {len(self.bars)} bars {self.bars.index.min():%Y-%m-%d} to {self.bars.index.max():%Y-%m-%d}"


def why_not_runnable(spec: StrategySpec, instrument: Instrument) -> str | None:
    """None when the setup can be backtested on the instrument, else one sentence saying why not."""
    if not spec.testable:
        return "the setup is not testable: " + ("; ".join(spec.unsupported) or "no rule was taught")
    try:
        wanted = normalize_timeframe(spec.timeframe)
    except TimeframeError as err:
        return str(err)
    if wanted != instrument.timeframe:
        return f"the setup reads {wanted} bars and {instrument.name} has {instrument.timeframe} bars"
    if not is_intraday(instrument.timeframe):
        intraday = sorted({op.indicator for op in spec.operands() if get(op.indicator).intraday_only})
        if intraday:
            return f"{', '.join(intraday)} needs intraday bars and {instrument.name} has daily or longer bars"
    return None


def match_instruments(spec: StrategySpec, instruments: list[Instrument]) -> dict[str, str | None]:
    """For every instrument (by name): None where the setup runs on it, else the reason it is skipped.

    When no instrument has the setup's bar size, each skip says so, so a reader knows what data to add.
    """
    reasons = {inst.name: why_not_runnable(spec, inst) for inst in instruments}
    if spec.testable and instruments and all(reasons.values()):
        have = ", ".join(inst.name for inst in instruments)
        try:
            wanted = normalize_timeframe(spec.timeframe)
        except TimeframeError:
            wanted = spec.timeframe
        if not any(inst.timeframe == wanted for inst in instruments):
            reasons = {name: f"{why}; no configured market has {wanted} bars (have {have}): add {wanted} data "
                             "to the market_data resource to test it" for name, why in reasons.items()}
    return reasons
