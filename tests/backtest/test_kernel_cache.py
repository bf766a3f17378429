"""vectorbt's simulation loops come from numba's disk cache in a second process, with the same trades."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numba
import pandas as pd
import pytest
from numba.core import types

from reelquant.backtest.engine import run_backtest
from reelquant.backtest.kernel_cache import VECTORBT_SIMULATIONS, stable_type_key
from tests.backtest.builders import sma_cross

REPO = Path(__file__).resolve().parents[2]
# A stop, a target and a time exit (vectorbt's signal-function loop), and no stop at all (its plain loop).
STOPPED = {"stop_loss_pct": 0.05, "take_profit_pct": 0.1, "max_bars_held": 20}
SCRIPT = textwrap.dedent(f"""
    import json

    from reelquant.backtest.data import bundled_sample_path, load_ohlcv
    from reelquant.backtest.engine import run_backtest
    from reelquant.backtest.kernel_cache import cache_stats
    from tests.backtest.builders import sma_cross

    bars = load_ohlcv(bundled_sample_path())
    results = [run_backtest(sma_cross(10, 30, direction="reverse", **{STOPPED!r}), bars),
               run_backtest(sma_cross(10, 30), bars)]
    print(json.dumps({{"cache": cache_stats(), "equity": [r.equity.round(6).tolist() for r in results]}}))
""")


def _run(args: list[str], cache_dir: Path) -> dict:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache_dir), "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_after_the_warm_up_a_new_process_compiles_neither_loop(tmp_path: Path, goog: pd.DataFrame) -> None:
    warm = _run(["-m", "reelquant.backtest.kernel_cache"], tmp_path)
    later = _run(["-c", SCRIPT], tmp_path)
    for name in VECTORBT_SIMULATIONS:
        hits, misses = warm[name]
        assert misses >= 1 and hits == 0, f"{name}: a fresh cache should compile ({warm})"
        hits, misses = later["cache"][name]
        assert hits >= 1 and misses == 0, f"{name}: the process after the warm-up compiled again ({later})"
    here = [run_backtest(sma_cross(10, 30, direction="reverse", **STOPPED), goog), run_backtest(sma_cross(10, 30), goog)]
    assert later["equity"] == [r.equity.round(6).tolist() for r in here]


@numba.njit
def _callee(x: float) -> float:
    return x + 1.0


def test_a_jitted_argument_is_keyed_by_name_and_source_not_by_address() -> None:
    key = stable_type_key(types.Dispatcher(_callee))
    st = os.stat(__file__)
    assert key == ("jitted", __name__, "_callee", (st.st_mtime, st.st_size))
    assert "0x" not in repr(key)
    assert "0x" in str(types.Dispatcher(_callee))  # numba's own type name carries the function's address
    assert stable_type_key(types.float64) is types.float64


@pytest.mark.parametrize("name", VECTORBT_SIMULATIONS)
def test_the_engine_switches_the_loops_to_the_stable_cache(name: str) -> None:
    import vectorbt.portfolio.nb as portfolio_nb

    from reelquant.backtest.kernel_cache import StableKeyFunctionCache, cache_vectorbt_simulation

    cache_vectorbt_simulation()
    assert isinstance(getattr(portfolio_nb, name)._cache, StableKeyFunctionCache)
