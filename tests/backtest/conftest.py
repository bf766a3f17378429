"""Session fixtures for the backtest tests: the bundled GOOG sample."""

from __future__ import annotations

import pandas as pd
import pytest

from reelquant.backtest.data import bundled_sample_path, load_ohlcv


@pytest.fixture(scope="session")
def goog() -> pd.DataFrame:
    return load_ohlcv(bundled_sample_path())
