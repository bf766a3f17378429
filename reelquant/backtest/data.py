"""Load daily OHLCV bars from CSV or Parquet into one normal form, and say in words what is wrong with bad data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.typing import Index, Series

OHLCV_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close", "volume")
# Longest weekday-free stretch a daily exchange calendar produces is a few days (holidays around
# weekends, the 2001/2012 closures); anything past this means missing data, not a holiday.
MAX_GAP_DAYS = 10

_ALIASES = {"adj close": "adj_close", "adj_close": "adj_close", "vol": "volume"}
_DATE_NAMES = ("date", "datetime", "time", "timestamp", "index", "unnamed: 0", "")


class MarketDataError(ValueError):
    """Market data that cannot be read or is not OHLCV."""


class OHLCVSchema(pa.DataFrameModel):
    """Daily OHLCV bars: finite positive prices, high above low, non-negative volume, unique ascending dates, no gaps."""

    open: Series[float] = pa.Field(gt=0, nullable=False)
    high: Series[float] = pa.Field(gt=0, nullable=False)
    low: Series[float] = pa.Field(gt=0, nullable=False)
    close: Series[float] = pa.Field(gt=0, nullable=False)
    volume: Series[float] = pa.Field(ge=0, nullable=False)
    date: Index[pd.Timestamp] = pa.Field(unique=True)

    class Config:
        coerce = True
        strict = False

    @pa.dataframe_check
    def high_not_below_low(cls, df: pd.DataFrame) -> pd.Series:
        return df["high"] >= df["low"]

    @pa.dataframe_check
    def prices_finite(cls, df: pd.DataFrame) -> pd.Series:
        return pd.Series(np.isfinite(df[list(OHLCV_COLUMNS)].to_numpy(dtype=float)).all(axis=1), index=df.index)

    @pa.dataframe_check
    def dates_ascending(cls, df: pd.DataFrame) -> bool:
        return bool(df.index.is_monotonic_increasing)

    @pa.dataframe_check
    def no_calendar_gaps(cls, df: pd.DataFrame) -> bool:
        gaps = df.index.to_series().diff().dt.days
        return bool((gaps.fillna(0) <= MAX_GAP_DAYS).all())


def bundled_sample_path(symbol: str = "GOOG") -> Path:
    """A sample shipped inside the package: daily GOOG 2004-2013 (the default) or hourly EURUSD 2017-2018."""
    return Path(__file__).resolve().parent.parent / "data" / f"{symbol}.csv"


def _normalise(raw: pd.DataFrame, source: str) -> pd.DataFrame:
    df = raw.copy()
    df.columns = [_ALIASES.get(str(c).strip().lower(), str(c).strip().lower()) for c in df.columns]
    if not isinstance(df.index, pd.DatetimeIndex):
        date_col = next((c for c in df.columns if c in _DATE_NAMES), None)
        if date_col is None:
            raise MarketDataError(f"{source} has no date column: add a 'date' column (or a date index).")
        df = df.set_index(date_col)
        try:
            df.index = pd.to_datetime(df.index)
        except (ValueError, TypeError) as exc:
            raise MarketDataError(f"{source} has dates that cannot be parsed: write them as YYYY-MM-DD.") from exc
    missing = [c for c in OHLCV_COLUMNS if c not in df.columns]
    if missing:
        raise MarketDataError(
            f"{source} lacks the column(s) {', '.join(missing)}: provide open, high, low, close and volume."
        )
    df = df[list(OHLCV_COLUMNS)].apply(pd.to_numeric, errors="coerce").astype(float)
    if df.index.tz is not None:
        df.index = df.index.tz_convert(None)
    df.index.name = "date"
    return df.sort_index(kind="stable")


def load_ohlcv(path: str | Path) -> pd.DataFrame:
    """Read a CSV or Parquet file of bars: lower-case OHLCV columns, a sorted DatetimeIndex named "date"."""
    path = Path(path)
    if not path.is_file():
        raise MarketDataError(f"No market data file at {path}: check the path or use the bundled sample.")
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        raw = pd.read_parquet(path)
    elif suffix in (".csv", ".txt"):
        raw = pd.read_csv(path)
    else:
        raise MarketDataError(f"{path.name} is neither CSV nor Parquet: save the bars as .csv or .parquet.")
    return _normalise(raw, path.name)


def load_symbol(folder_or_file: str | Path, symbol: str = "GOOG") -> pd.DataFrame:
    """Bars of `symbol` from a file, or from `<symbol>.csv` / `<symbol>.parquet` in a folder (any case)."""
    target = Path(folder_or_file)
    if target.is_file():
        return load_ohlcv(target)
    if not target.is_dir():
        raise MarketDataError(f"Market data source {target} does not exist: point it at a file or a folder.")
    wanted = symbol.lower()
    for candidate in sorted(target.iterdir()):
        if candidate.stem.lower() == wanted and candidate.suffix.lower() in (".csv", ".parquet", ".pq"):
            return load_ohlcv(candidate)
    raise MarketDataError(
        f"No {symbol}.csv or {symbol}.parquet in {target}: add the file or choose another symbol."
    )


def validate_ohlcv(df: pd.DataFrame) -> list[str]:
    """Every problem with the bars, one sentence each; an empty list means the data is fit to backtest."""
    problems: list[str] = []
    missing = [c for c in OHLCV_COLUMNS if c not in df.columns]
    if missing:
        return [f"Columns {', '.join(missing)} are missing: provide open, high, low, close and volume."]
    if len(df) == 0:
        return ["There are no bars: load a file with at least one row."]
    if not isinstance(df.index, pd.DatetimeIndex):
        return ["The index is not dates: index the bars by a DatetimeIndex named 'date'."]
    values = df[list(OHLCV_COLUMNS)].apply(pd.to_numeric, errors="coerce")
    for col in OHLCV_COLUMNS:
        n_nan = int(values[col].isna().sum())
        if n_nan:
            first = df.index[values[col].isna().to_numpy()][0]
            problems.append(f"Column {col} has {n_nan} missing value(s), first on {first.date()}: "
                            "fill or drop those bars.")
    for col in OHLCV_COLUMNS:
        infinite = np.isinf(values[col].to_numpy(dtype=float))
        if infinite.any():
            problems.append(f"Column {col} has {int(infinite.sum())} infinite value(s), first on "
                            f"{df.index[infinite][0].date()}: fill or drop those bars.")
    for col in ("open", "high", "low", "close"):
        bad = values[col] <= 0
        if bad.any():
            problems.append(f"Column {col} has {int(bad.sum())} zero or negative price(s), first on "
                            f"{df.index[bad.to_numpy()][0].date()}: remove or correct those bars.")
    if (values["volume"] < 0).any():
        problems.append(f"Column volume has {int((values['volume'] < 0).sum())} negative value(s): "
                        "correct those bars.")
    inverted = values["high"] < values["low"]
    if inverted.any():
        problems.append(f"{int(inverted.sum())} bar(s) have high below low, first on "
                        f"{df.index[inverted.to_numpy()][0].date()}: check the column order.")
    dup = df.index.duplicated()
    if dup.any():
        problems.append(f"{int(dup.sum())} timestamp(s) are duplicated, first {df.index[dup][0].date()}: "
                        "keep one bar per date.")
    if not df.index.is_monotonic_increasing:
        problems.append("Timestamps are not sorted in ascending order: sort the bars by date.")
    elif len(df) > 1:
        gaps = df.index.to_series().diff().dt.days
        big = gaps > MAX_GAP_DAYS
        if big.any():
            where = gaps[big].index[0]
            problems.append(f"{int(big.sum())} calendar gap(s) longer than {MAX_GAP_DAYS} days, the first "
                            f"of {int(gaps[big].iloc[0])} days ending {where.date()}: fill in the missing bars.")
    if not problems:
        try:
            OHLCVSchema.validate(df, lazy=True)
        except pa.errors.SchemaErrors as exc:
            checks = sorted({str(c) for c in exc.failure_cases["check"].astype(str)})
            problems.append(f"The bars fail the OHLCV schema ({', '.join(checks)}): check the column types.")
    return problems

