"""Loading OHLCV from CSV and Parquet, and the plain-language problems validate_ohlcv reports."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pytest

from reelquant.backtest.data import (
    MarketDataError,
    OHLCVSchema,
    bundled_sample_path,
    load_ohlcv,
    load_symbol,
    validate_ohlcv,
)


def test_bundled_sample_is_normalised_and_valid(goog: pd.DataFrame) -> None:
    assert bundled_sample_path().is_file()
    assert list(goog.columns) == ["open", "high", "low", "close", "volume"]
    assert isinstance(goog.index, pd.DatetimeIndex) and goog.index.name == "date"
    assert goog.index.is_monotonic_increasing
    assert len(goog) == 2148
    assert goog.index[0] == pd.Timestamp("2004-08-19") and goog.index[-1] == pd.Timestamp("2013-03-01")
    assert goog.loc["2004-08-19", "close"] == pytest.approx(100.34)
    assert validate_ohlcv(goog) == []
    OHLCVSchema.validate(goog)


def test_parquet_and_odd_csv_load_the_same(goog: pd.DataFrame, tmp_path: Path) -> None:
    part = goog.iloc[:50]
    part.to_parquet(tmp_path / "goog.parquet")
    shuffled = part.iloc[::-1].reset_index().rename(columns={"date": "Date", "close": "Close", "open": "OPEN"})
    shuffled.to_csv(tmp_path / "other.csv", index=False)
    from_parquet = load_ohlcv(tmp_path / "goog.parquet")
    from_csv = load_ohlcv(tmp_path / "other.csv")
    pd.testing.assert_frame_equal(from_parquet, part, check_freq=False, check_index_type=False)
    pd.testing.assert_frame_equal(from_csv, from_parquet, check_index_type=False)


def test_load_symbol_finds_file_in_folder_case_insensitively(goog: pd.DataFrame, tmp_path: Path) -> None:
    goog.iloc[:30].to_csv(tmp_path / "goog.csv")
    goog.iloc[30:60].to_parquet(tmp_path / "MSFT.parquet")
    assert len(load_symbol(tmp_path, "GOOG")) == 30
    assert load_symbol(tmp_path, "msft").index[0] == goog.index[30]
    assert len(load_symbol(tmp_path / "goog.csv")) == 30
    with pytest.raises(MarketDataError, match=r"No AAPL\.csv or AAPL\.parquet"):
        load_symbol(tmp_path, "AAPL")


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        ("date,open,high,low,close\n2020-01-01,1,2,1,2\n", "nov.csv", "lacks the column(s) volume"),
        ("open,high,low,close,volume\n1,2,1,2,5\n", "nodate.csv", "no date column"),
        ("date,open,high,low,close,volume\nsoon,1,2,1,2,5\n", "baddate.csv", "cannot be parsed"),
        ("x", "bars.xlsx", "neither CSV nor Parquet"),
    ],
)
def test_unreadable_files_say_what_to_fix(tmp_path: Path, content: str, name: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(MarketDataError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        load_ohlcv(path)
    assert str(info.value).endswith(".") and str(info.value).count(". ") == 0


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(MarketDataError, match="No market data file"):
        load_ohlcv(tmp_path / "absent.csv")


def _corrupt(df: pd.DataFrame, kind: str) -> pd.DataFrame:
    bad = df.iloc[:200].copy()
    if kind == "nan":
        bad.iloc[10, bad.columns.get_loc("close")] = np.nan
    elif kind == "zero":
        bad.iloc[20, bad.columns.get_loc("open")] = 0.0
    elif kind == "negative":
        bad.iloc[21, bad.columns.get_loc("low")] = -5.0
    elif kind == "inverted":
        bad.iloc[30, bad.columns.get_loc("high")] = bad.iloc[30]["low"] - 1
    elif kind == "duplicate":
        bad = pd.concat([bad.iloc[:50], bad.iloc[49:50], bad.iloc[50:]])
    elif kind == "unsorted":
        bad = bad.iloc[[1, 0, *range(2, len(bad))]]
    elif kind == "gap":
        bad = bad.drop(bad.index[100:130])
    elif kind == "infinite":
        bad.iloc[40, bad.columns.get_loc("high")] = np.inf
    return bad


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("nan", "Column close has 1 missing value(s), first on 2004-09-02"),
        ("zero", "Column open has 1 zero or negative price(s)"),
        ("negative", "Column low has 1 zero or negative price(s)"),
        ("inverted", "1 bar(s) have high below low"),
        ("duplicate", "1 timestamp(s) are duplicated"),
        ("unsorted", "Timestamps are not sorted"),
        ("gap", "1 calendar gap(s) longer than 10 days"),
        ("infinite", "Column high has 1 infinite value(s), first on 2004-10-15"),
    ],
)
def test_bad_data_is_named_in_one_sentence(goog: pd.DataFrame, kind: str, message: str) -> None:
    problems = validate_ohlcv(_corrupt(goog, kind))
    assert len(problems) == 1, problems
    assert problems[0].startswith(message)
    assert problems[0].endswith(".")


def test_several_problems_are_all_reported(goog: pd.DataFrame) -> None:
    bad = _corrupt(_corrupt(goog, "nan"), "inverted")
    problems = validate_ohlcv(bad)
    assert len(problems) == 2
    assert validate_ohlcv(goog.drop(columns="volume")) == [
        "Columns volume are missing: provide open, high, low, close and volume."
    ]


@pytest.mark.parametrize("kind", ["nan", "zero", "negative", "inverted", "duplicate", "unsorted", "gap", "infinite"])
def test_pandera_schema_rejects_every_kind_of_bad_data(goog: pd.DataFrame, kind: str) -> None:
    OHLCVSchema.validate(_corrupt(goog, "none"))
    with pytest.raises(pa.errors.SchemaError):
        OHLCVSchema.validate(_corrupt(goog, kind))
