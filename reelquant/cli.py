"""The `reelquant` command: demo, process, search, extract, eval-extraction, doctor and ui.

Commands that run the graph import the Dagster code location lazily, so the library itself
stays free of Dagster and `reelquant --help` answers at once.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from reelquant.search import cli as search_cli
from reelquant.speech import doctor, models
from reelquant.strategy import evaluate
from reelquant.strategy.spec import StrategySpec
from reelquant.text import cli as extract_cli

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _home(args: argparse.Namespace) -> Path:
    root = Path(args.home or os.environ.get("REELQUANT_HOME", ".reelquant")).expanduser().absolute()
    # The drop folder exists from the start, so a user can copy videos in before the first sensor tick.
    (root / "inbox").mkdir(parents=True, exist_ok=True)
    return root


# The local instance: SQLite under $DAGSTER_HOME, with the event log holding its connections open
# (pipeline_defs/storage.py); telemetry off; steps' debug lines not stored as events, as in dagster.yaml.
LOCAL_INSTANCE_YAML = """\
storage:
  custom:
    module: pipeline_defs.storage
    class: PooledSqliteStorage
    config:
      base_dir:
        env: DAGSTER_HOME
telemetry:
  enabled: false
python_logs:
  python_log_level: INFO
"""
# What earlier versions wrote; such a file is brought up to date (any other file is the user's and is kept).
_EARLIER_INSTANCE_YAMLS = (
    "telemetry:\n  enabled: false\n",
    "telemetry:\n  enabled: false\npython_logs:\n  python_log_level: INFO\n",
)


def _instance_env(root: Path) -> None:
    """Point Dagster at the local instance: $DAGSTER_HOME if set, else `<data root>/dagster`, as `make ui` does."""
    dagster_home = Path(os.environ.get("DAGSTER_HOME") or root / "dagster").expanduser().absolute()
    dagster_home.mkdir(parents=True, exist_ok=True)
    config = dagster_home / "dagster.yaml"
    if not config.exists() or config.read_text(encoding="utf-8") in _EARLIER_INSTANCE_YAMLS:
        config.write_text(LOCAL_INSTANCE_YAML, encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(dagster_home)
    os.environ.setdefault("REELQUANT_HOME", str(root))


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _fmt(value: Any, spec: str = ".2f") -> str:
    return "-" if value is None else format(value, spec)


def _sides_text(spec: StrategySpec) -> str:
    names = [name for name, _ in spec.sides()]
    if spec.is_stop_and_reverse():
        return "stop and reverse"
    return {1: f"{names[0]} only", 2: "long and short"}.get(len(names), "no side")


def _readable(text: str) -> str:
    return text.replace("crosses_above", "crosses above").replace("crosses_below", "crosses below")


def _print_spec(spec: StrategySpec, indent: str) -> None:
    """One setup's rules as a trader reads them: per side, entry and exit; then stops and time exit."""
    if not spec.testable:
        for reason in spec.unsupported or ["no rule taught"]:
            print(f"{indent}not testable: {reason}")
        return
    for name, side in spec.sides():
        exit_text = _readable(side.exit.describe()) if side.exit.conditions else "(stops and time exit only)"
        print(f"{indent}{name:<6} entry  {_readable(side.entry.describe())}")
        print(f"{indent}       exit   {exit_text}")
    print(f"{indent}stops  {', '.join(spec.stops.describe()) or 'none taught'}")


def _print_market(name: str, market: dict[str, Any], indent: str) -> None:
    if not market["ran"]:
        print(f"{indent}{name:<10} skipped: {market.get('reason') or market['reasons'][0]}")
        return
    oos = market.get("oos") or {}
    print(f"{indent}{name:<10} out-of-sample Sharpe {_fmt(oos.get('sharpe'))}  return "
          f"{_fmt(oos.get('total_return', 0) * 100, '.1f')} %  max drawdown {_fmt(oos.get('max_drawdown', 0) * 100, '.1f')} %"
          f"  trades {int(oos.get('trades', 0))}")
    print(f"{indent}{'':<10} {'PROMOTED' if market['promoted'] else 'rejected'}: {market['reasons'][0].split(': ', 1)[-1]}")
    for reason in market["reasons"][1:]:
        if reason.startswith("failed"):
            print(f"{indent}{'':<12}- {reason}")


def _print_run(run: Any) -> None:
    print(f"\n== {run.source.name}" + (f"  [{run.key}]" if run.key else ""))
    if run.error:
        print(f"   failed: {run.error}")
        return
    from reelquant.strategy.record import upgrade_record

    rep = run.report
    tr = rep["transcript"]
    record = upgrade_record(rep)
    language = tr.get("language") or "en"
    if tr.get("translation"):
        language += ", rules read from its English translation"
    print(f"   transcript   {tr['engine']}, {tr['word_count']} words, {tr['duration_s']:.1f} s, language {language}")
    print(f"   keywords     {len(rep['keywords'])} hits")
    print(f"   setups       {len(record['setups'])} taught")
    for setup in record["setups"]:
        spec = StrategySpec.from_dict(setup["spec"])
        detail = f"{spec.timeframe} bars, {_sides_text(spec)}" if spec.testable else "not testable"
        print(f"   {setup['label']}  [{detail}]  {'PROMOTED' if setup['promoted'] else 'rejected'}")
        _print_spec(spec, "     ")
        for name, market in setup["markets"].items():
            _print_market(name, market, "     ")
    print(f"   decision     {rep['reasons'][0]}")
    print(f"   wall time    {run.wall_s:.1f} s")


def _run_graph(videos: list[Path], args: argparse.Namespace, out_dir: Path | None) -> list[Any]:
    root = _home(args)
    _instance_env(root)
    import dagster as dg

    from pipeline_defs.runner import process_videos

    with dg.DagsterInstance.get() as instance:
        return process_videos(videos, root, instance, out_dir=out_dir)


def cmd_process(args: argparse.Namespace) -> int:
    videos = [Path(v) for v in args.videos]
    missing = [str(v) for v in videos if not v.is_file()]
    if missing:
        print(f"reelquant: no such file: {', '.join(missing)}; give paths to video files.", file=sys.stderr)
        return 2
    runs = _run_graph(videos, args, Path(args.out))
    for run in runs:
        _print_run(run)
        if run.report:
            print(f"   report       {run.extra['report_path']}")
    return 0 if all(r.report for r in runs) else 1


def cmd_demo(args: argparse.Namespace) -> int:
    samples = Path(args.samples) if args.samples else PROJECT_ROOT / "samples"
    videos = sorted(samples.glob("*.mp4"))
    if not videos:
        print(f"reelquant: no sample videos in {samples}; pass --samples DIR.", file=sys.stderr)
        return 2
    started = time.perf_counter()
    root = _home(args)
    runs = _run_graph(videos, args, root / "reports")
    for run in runs:
        _print_run(run)
    total = time.perf_counter() - started
    print(f"\n{len(runs)} videos in {total:.1f} s; peak memory {_peak_rss_mb():.0f} MB; "
          f"reports in {root / 'reports'}")
    print("Open the Dagster UI on the same instance with `make ui` (or `reelquant ui`), then http://127.0.0.1:3000")
    return 0 if all(r.report for r in runs) else 1


def cmd_ui(args: argparse.Namespace) -> int:
    root = _home(args)
    _instance_env(root)
    cmd = [str(Path(sys.executable).with_name("dagster")), "dev", "-m", "pipeline_defs.definitions",
           "-h", args.host, "-p", str(args.port)]
    print(f"Dagster UI at http://{args.host}:{args.port} (instance {os.environ['DAGSTER_HOME']}); "
          f"drop videos into {root / 'inbox'}")
    return subprocess.call(cmd, cwd=PROJECT_ROOT)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="reelquant", description=__doc__.splitlines()[0])
    parser.add_argument("--home", help="data root (default: $REELQUANT_HOME or ./.reelquant)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="process the bundled sample lessons end to end and print the results")
    p.add_argument("--samples", help="folder of sample videos (default: the project's samples/)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("process", help="run the whole graph for these videos and write DIR/<key>/report.json")
    p.add_argument("videos", nargs="+")
    p.add_argument("--out", default="out", help="output folder (default: ./out)")
    p.set_defaults(func=cmd_process)

    # Subcommands that live with their own package.
    search_cli.register(sub)
    extract_cli.register(sub)
    evaluate.register(sub)
    doctor.register(sub)
    models.register(sub)

    p = sub.add_parser("ui", help="the Dagster UI on the local instance")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=3000)
    p.set_defaults(func=cmd_ui)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
