"""vectorbt's simulation loops come from numba's disk cache in a second process, with the same trades."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numba
import pytest
from numba.core import types

from reelquant.backtest.kernel_cache import VECTORBT_SIMULATIONS, stable_type_key

REPO = Path(__file__).resolve().parents[2]

# Two specs: one with a stop, a target and a time exit (vectorbt's signal-function loop), one without (its
# plain loop). The script reports each loop's cache hits and misses in its process, and the trades.
SCRIPT = textwrap.dedent("""
    import json

    import vectorbt.portfolio.nb as portfolio_nb

    from reelquant.backtest.data import bundled_sample_path, load_ohlcv
    from reelquant.backtest.engine import run_backtest
    from reelquant.backtest.kernel_cache import VECTORBT_SIMULATIONS
    from tests.backtest.builders import sma_cross

    bars = load_ohlcv(bundled_sample_path())
    results = [run_backtest(sma_cross(10, 30, direction="reverse", stop_loss_pct=0.05, take_profit_pct=0.1,
                                      max_bars_held=20), bars),
               run_backtest(sma_cross(10, 30), bars)]
    print(json.dumps({
        "cache": {name: [sum(getattr(portfolio_nb, name).stats.cache_hits.values()),
                         sum(getattr(portfolio_nb, name).stats.cache_misses.values())]
                  for name in VECTORBT_SIMULATIONS},
        "trades": [r.trades[["entry_time", "exit_time", "size", "pnl"]].astype(str).values.tolist()
                   for r in results],
        "equity": [float(r.equity.iloc[-1]) for r in results],
    }))
""")


def _run(cache_dir: Path) -> dict:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache_dir), "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-c", SCRIPT], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_second_process_loads_both_simulation_loops_from_the_cache(tmp_path: Path) -> None:
    first = _run(tmp_path)
    second = _run(tmp_path)
    for name in VECTORBT_SIMULATIONS:
        hits, misses = first["cache"][name]
        assert misses >= 1 and hits == 0, f"{name}: a fresh cache should compile ({first['cache']})"
        hits, misses = second["cache"][name]
        assert hits >= 1 and misses == 0, f"{name}: the second process compiled again ({second['cache']})"
    assert second["trades"] == first["trades"] and second["equity"] == first["equity"]
    assert all(first["trades"]), "both specs should trade on GOOG"


@numba.njit
def _callee(x: float) -> float:
    return x + 1.0


def test_a_jitted_argument_is_keyed_by_name_and_source_not_by_address() -> None:
    key = stable_type_key(types.Dispatcher(_callee))
    st = os.stat(__file__)
    assert key == ("jitted", __name__, "_callee", (st.st_mtime, st.st_size))
    assert "0x" not in repr(key)  # numba's own type name carries the function's address
    assert "0x" in str(types.Dispatcher(_callee))
    assert stable_type_key(types.float64) is types.float64


@pytest.mark.parametrize("name", VECTORBT_SIMULATIONS)
def test_the_engine_switches_the_loops_to_the_stable_cache(name: str) -> None:
    import vectorbt.portfolio.nb as portfolio_nb

    from reelquant.backtest.kernel_cache import StableKeyFunctionCache, cache_vectorbt_simulation

    cache_vectorbt_simulation()
    assert isinstance(getattr(portfolio_nb, name)._cache, StableKeyFunctionCache)
