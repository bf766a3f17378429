"""Keep vectorbt's signal-function simulation compiled on disk, so a new process does not compile it again.

vectorbt compiles `simulate_from_signal_func_nb` (the loop `Portfolio.from_signals` runs when it is given
signal and stop functions, as the engine does for every spec with a stop, a target or a time exit) without
numba's on-disk cache, and numba could not reuse such an entry anyway: it keys a compiled function on its
argument types, and the type of a jitted function passed as an argument is named after its address in
memory, which changes with every process. So each Dagster run process, each CLI call and each test process
spent about 13 s compiling the same loop before its first backtest.

`enable_stable_cache` gives such a function numba's own file cache with one change to the key: a jitted
function among the arguments is named by its module, its name and the state of the source file it comes
from (modification time and size, as numba judges its own cache entries). An edit to that file, or to the
vectorbt source, starts a new entry; nothing stale is loaded.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from typing import Any

from numba.core import types
from numba.core.caching import FunctionCache, NullCache
from numba.core.registry import CPUDispatcher

# vectorbt's simulation loops that it compiles without a disk cache.
VECTORBT_SIMULATIONS = ("simulate_from_signals_nb", "simulate_from_signal_func_nb")


def _source_stamp(py_func: Any) -> tuple[float, int] | None:
    module = sys.modules.get(py_func.__module__)
    path = getattr(module, "__file__", None)
    if not path:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime, st.st_size


def stable_type_key(t: Any) -> Any:
    """A type as the cache key holds it: a jitted function by module, name and source stamp, others as they are."""
    if isinstance(t, types.Dispatcher):
        func = t.dispatcher.py_func
        return ("jitted", func.__module__, func.__qualname__, _source_stamp(func))
    return t


class StableKeyFunctionCache(FunctionCache):
    """numba's function cache whose key names jitted-function arguments the same way in every process."""

    def _index_key(self, sig: Any, codegen: Any) -> tuple:
        _, magic, code_hashes = super()._index_key(sig, codegen)
        return tuple(stable_type_key(t) for t in sig), magic, code_hashes


def enable_stable_cache(dispatcher: CPUDispatcher) -> bool:
    """Cache a jitted function on disk under stable keys; False when it was cached already (left as it is)."""
    if not isinstance(dispatcher._cache, NullCache):
        return False
    dispatcher._cache = StableKeyFunctionCache(dispatcher.py_func)
    return True


@functools.cache
def cache_vectorbt_simulation() -> None:
    """Cache the two loops behind `Portfolio.from_signals`: with signal and stop functions (specs with stops,
    targets or a time exit) and without (the plain signal arrays)."""
    import vectorbt.portfolio.nb as portfolio_nb

    for name in VECTORBT_SIMULATIONS:
        enable_stable_cache(getattr(portfolio_nb, name))


def cache_stats() -> dict[str, tuple[int, int]]:
    """Each loop's cache hits and misses (compilations) in this process."""
    import vectorbt.portfolio.nb as portfolio_nb

    stats = {name: getattr(portfolio_nb, name).stats for name in VECTORBT_SIMULATIONS}
    return {name: (sum(s.cache_hits.values()), sum(s.cache_misses.values())) for name, s in stats.items()}


def warm_up() -> dict[str, tuple[int, int]]:
    """Compile both loops into the cache with a backtest each on the bundled sample (an image build runs this,
    so a run container starts with them compiled). Returns `cache_stats()`."""
    from reelquant.backtest.data import bundled_sample_path, load_ohlcv
    from reelquant.backtest.engine import run_backtest
    from reelquant.strategy.spec import Condition, ConditionSet, Operand, Side, Stops, StrategySpec

    def sma(window: int) -> Operand:
        return Operand(indicator="sma", params={"window": window})

    rule = Side(entry=ConditionSet.of("all", [Condition(left=sma(10), op="crosses_above", right=sma(30))]),
                exit=ConditionSet.of("any", [Condition(left=sma(10), op="crosses_below", right=sma(30))]))
    bars = load_ohlcv(bundled_sample_path())
    for stops in (Stops(), Stops(stop_loss_pct=0.05, take_profit_pct=0.1, max_bars_held=20)):
        run_backtest(StrategySpec(testable=True, name="warm-up", long=rule, stops=stops), bars)
    return cache_stats()


if __name__ == "__main__":
    print(json.dumps(warm_up()))
