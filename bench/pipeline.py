"""Pipeline wall time from a drop in the inbox to `strategy`, and what Dagster's orchestration costs.

Measured side by side in one process, warm (models loaded, numba compiled) for both sides:
  - 1 video: drop -> two sensor ticks -> strategy_job run, on a local SQLite instance;
  - 10 videos dropped at once, runs one after another (the machine has two cores);
  - overhead: the Dagster run of one ~60 s sample versus the same library functions called directly.
Last line: `pipeline: 1 video .. s, 10 videos .. s, overhead ..%`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline_defs.definitions import build_defs  # noqa: E402
from pipeline_defs.environment import resources_for  # noqa: E402
from pipeline_defs.sensors import video_drop_sensor  # noqa: E402
from reelquant.backtest.data import validate_ohlcv  # noqa: E402
from reelquant.backtest.engine import plot_equity, run_backtest  # noqa: E402
from reelquant.backtest.model import train_signal_model  # noqa: E402
from reelquant.backtest.promotion import decide  # noqa: E402
from reelquant.backtest.robustness import heatmap_png, robustness  # noqa: E402
from reelquant.backtest.walkforward import walk_forward  # noqa: E402
from reelquant.ingest import partition_key, store_video  # noqa: E402
from reelquant.media.audio import extract_audio, has_speech, silences_from_regions  # noqa: E402
from reelquant.media.clips import highlight_windows, render_clips  # noqa: E402
from reelquant.media.keyframes import extract_slide_keyframes  # noqa: E402
from reelquant.media.probe import probe_video  # noqa: E402
from reelquant.plots import keyword_timeline_png  # noqa: E402
from reelquant.schemas import KeywordHitsSchema  # noqa: E402
from reelquant.search.chunks import chunk_transcript  # noqa: E402
from reelquant.search.evidence import evidence_for_specs  # noqa: E402
from reelquant.speech.subtitles import to_srt, to_vtt  # noqa: E402
from reelquant.strategy.markets import match_instruments  # noqa: E402
from reelquant.strategy.record import build_record  # noqa: E402
from reelquant.strategy.tearsheet import tear_sheet_html  # noqa: E402
from reelquant.text.features import lesson_features  # noqa: E402
from reelquant.text.keywords import find_keyword_hits  # noqa: E402
from reelquant.text.rules import build_specs, read_lesson  # noqa: E402

SAMPLE = REPO / "samples" / "ema_crossover_stop.mp4"


def direct(video: Path, root: Path, resources: dict) -> float:
    """Every stage of the graph as plain function calls, doing what the assets do (plots and quotes included)."""
    started = time.perf_counter()
    laps: dict[str, float] = {}
    last = [started]

    def lap(name: str) -> None:
        now = time.perf_counter()
        laps[name] = now - last[0]
        last[0] = now

    key = partition_key(video)
    managed = store_video(video, resources["media_store"].videos, key, move=False)
    out = resources["media_store"].derived_dir(key)
    probe = probe_video(managed)
    audio = extract_audio(managed, out / "audio.wav")
    speech, _ = has_speech(audio)
    lap("audio")
    extract_slide_keyframes(managed, out / "keyframes")
    lap("keyframes")
    tr = resources["transcriber"].transcribe(Path(audio.path), managed)
    (out / "t.srt").write_text(to_srt(tr))
    (out / "t.vtt").write_text(to_vtt(tr))
    lap("transcript")
    hits = find_keyword_hits(tr)
    KeywordHitsSchema.validate(hits, lazy=True)
    keyword_timeline_png(hits, tr.duration_s)
    reading = read_lesson(tr)
    reading.records()  # the trading_concepts preview
    specs = build_specs(reading)
    features = lesson_features(tr, hits, specs)
    lap("language")
    chunks = chunk_transcript(tr, key)
    embedder, vstore = resources["embedder"], resources["vector_store"]
    vectors = embedder.encode([c["text"] for c in chunks])
    rows = [{**c, "keywords": [], "clip_path": "", "model": embedder.model_name, "vector": v}
            for c, v in zip(chunks, vectors, strict=True)]
    store = vstore.store(embedder.model_name, embedder.dim)
    store.replace_video(key, rows)
    lap("embeddings")
    silences = silences_from_regions(audio.regions, audio.duration_s) if speech else None
    provenance = [p.model_dump() for spec in specs for p in spec.provenance]
    windows = highlight_windows(hits, tr, provenance, duration_s=probe.duration_s, silences=silences)
    clips = render_clips(managed, windows, tr, out / "clips")
    lap("clips")
    instruments = resources["market_data"].load_instruments()
    for inst in instruments:
        validate_ohlcv(inst.bars)
    decisions: dict[int, dict] = {}
    setups = []
    for i, spec in enumerate(specs):
        markets: dict[str, dict] = {}
        for inst, why in zip(instruments, match_instruments(spec, instruments).values(), strict=True):
            if why is not None:
                markets[inst.name] = {"ran": False, "reason": why}
                continue
            config = resources["backtester"].config(inst.timeframe)
            model = train_signal_model(spec, inst.bars, config)
            rule = run_backtest(spec, inst.bars, config)
            if model.trained:
                run_backtest(spec, inst.bars, config, entry_filter=model.entry_filter)
            walk_forward(spec, inst.bars, config)
            rb = robustness(spec, inst.bars, config)
            (out / f"equity-{i}.png").write_bytes(plot_equity(rule))
            if len(rb.parameters) >= 2:
                heatmap_png(rb)
            decisions.setdefault(i, {})[inst.name] = decide(rule, resources["backtester"].gates(), robustness=rb)
            markets[inst.name] = {"ran": True, "rule_only": rule.to_dict(), "robustness": rb.to_dict()}
        setups.append({"setup": i, "markets": markets})
    lap("backtest")
    evidence = evidence_for_specs(store, embedder.model(), specs, key)
    record = build_record(video_id=key, video={"original_name": video.name}, transcript=tr.to_dict(), specs=specs,
                          backtest={"setups": setups}, clips=clips, embeddings={"rows": len(rows)},
                          features=features, decisions=decisions, evidence=evidence)
    (out / "tearsheet.html").write_text(tear_sheet_html(record))
    (out / "strategy.json").write_text(json.dumps(record, default=str))
    lap("strategy")
    print("  direct stages " + ", ".join(f"{k} {v:.1f}" for k, v in laps.items()))
    return time.perf_counter() - started


def dagster_run(video: Path, instance: dg.DagsterInstance, resources: dict) -> float:
    started = time.perf_counter()
    key = partition_key(video)
    store_video(video, resources["media_store"].videos, key, move=False)
    instance.add_dynamic_partitions("videos", [key])
    job = build_defs(resources).resolve_job_def("strategy_job")
    result = job.execute_in_process(partition_key=key, instance=instance)
    assert result.success
    elapsed = time.perf_counter() - started
    steps = {e.step_key: e.event_specific_data.duration_ms / 1000 for e in result.all_events
             if e.event_type_value == "STEP_SUCCESS"}
    print(f"  dagster steps {sum(steps.values()):.2f} s of {elapsed:.2f} s: "
          + ", ".join(f"{k} {v:.1f}" for k, v in sorted(steps.items(), key=lambda kv: -kv[1])[:8]))
    return elapsed


def drop_to_strategy(videos: list[Path], instance: dg.DagsterInstance, resources: dict) -> float:
    """Copy files into the inbox, tick the sensor as the daemon would, run every requested partition."""
    store = resources["media_store"]
    store.inbox.mkdir(parents=True, exist_ok=True)
    job = build_defs(resources).resolve_job_def("strategy_job")
    started = time.perf_counter()
    for v in videos:
        shutil.copy(v, store.inbox / v.name)
    cursor = None
    requests: list[dg.RunRequest] = []
    for _ in range(2):  # taken on the second tick, once size and mtime held still
        result = video_drop_sensor(dg.build_sensor_context(instance=instance, cursor=cursor,
                                                           resources={"media_store": store}))
        cursor = result.cursor
        for req in result.dynamic_partitions_requests or []:
            instance.add_dynamic_partitions(req.partitions_def_name, list(req.partition_keys))
        requests += list(result.run_requests)
    assert len(requests) == len(videos), (len(requests), len(videos))
    for req in requests:
        assert job.execute_in_process(partition_key=req.partition_key, instance=instance).success
    return time.perf_counter() - started


_made = 0


def variants(src: Path, folder: Path, n: int) -> list[Path]:
    """`n` files of the same lesson that differ in trailing bytes, so each is a new partition (never a duplicate)."""
    global _made
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    data = src.read_bytes()
    for _ in range(n):
        _made += 1
        path = folder / f"{src.stem} {_made:03d}{src.suffix}"
        path.write_bytes(data + _made.to_bytes(4, "big"))
        out.append(path)
    return out


@contextlib.contextmanager
def instance_settings(storage: str, home: Path, stock: bool = False) -> Iterator[dict]:
    """Overrides for the bench's instance: the project's storage and log level, on SQLite (the local instance of
    `make ui` and `make demo`, under `home`) or on a fresh database, dropped afterwards, of the Postgres the tests
    use (REELQUANT_TEST_PG_HOST/PORT/USER; production's storage). `stock`: Dagster's own storage classes instead,
    which connect for every statement."""
    import yaml

    from reelquant.cli import LOCAL_INSTANCE_YAML

    production = yaml.safe_load((REPO / "dagster.yaml").read_text())
    overrides: dict = {"python_logs": production["python_logs"]}
    if storage == "sqlite":
        local = yaml.safe_load(LOCAL_INSTANCE_YAML)["storage"]["custom"]
        overrides["storage"] = ({"sqlite": {"base_dir": str(home)}} if stock else
                                {"custom": {**local, "config": {"base_dir": str(home)}}})
        yield overrides
        return
    from tests.deploy.conftest import PG_HOST, PG_PORT, PG_USER, temporary_database

    with temporary_database("rq_bench") as name:
        db = {"hostname": PG_HOST, "port": PG_PORT, "username": PG_USER, "password": "", "db_name": name,
              "scheme": "postgresql+psycopg2"}
        custom = production["storage"]["custom"]
        overrides["storage"] = ({"postgres": {"postgres_db": db}} if stock else
                                {"custom": {**custom, "config": {"postgres_db": db}}})
        yield overrides


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats of the overhead comparison")
    parser.add_argument("--burst", type=int, default=10, help="videos dropped at once")
    parser.add_argument("--storage", choices=["sqlite", "postgres"], default="sqlite",
                        help="instance storage: SQLite (local instance) or Postgres (production)")
    parser.add_argument("--stock", action="store_true",
                        help="Dagster's own storage classes (a connection per statement) instead of the project's")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="rq-bench-"))
    try:
        (tmp / "dagster").mkdir()
        with (instance_settings(args.storage, tmp / "dagster", stock=args.stock) as settings,
              dg.instance_for_test(temp_dir=str(tmp / "dagster"), overrides=settings) as instance):
            print(f"sample: {SAMPLE.name}, {probe_video(SAMPLE).duration_s:.1f} s; instance storage: {args.storage} "
                  f"({'Dagster stock' if args.stock else settings['storage']['custom']['class']})")
            warm = variants(SAMPLE, tmp / "warm", 1)[0]
            res = resources_for("local", tmp / "warmroot")
            direct(warm, tmp / "warmroot", res)  # loads models, compiles numba
            dagster_run(variants(SAMPLE, tmp / "warm2", 1)[0], instance, resources_for("local", tmp / "warmroot2"))
            d_times, g_times = [], []
            for r in range(args.repeats):
                vids = variants(SAMPLE, tmp / f"rep{r}", 2)
                # Alternate which side goes first, so drift in a shared engine cannot favour one side.
                for side in (("direct", "dagster") if r % 2 == 0 else ("dagster", "direct")):
                    if side == "direct":
                        d_times.append(direct(vids[0], tmp / f"d{r}", resources_for("local", tmp / f"d{r}")))
                    else:
                        g_times.append(dagster_run(vids[1], instance, resources_for("local", tmp / f"g{r}")))
                print(f"repeat {r + 1}: direct {d_times[-1]:.2f} s, dagster run {g_times[-1]:.2f} s")
            d, g = statistics.median(d_times), statistics.median(g_times)
            overhead = (g - d) / d * 100
            one = drop_to_strategy(variants(SAMPLE, tmp / "one", 1), instance, resources_for("local", tmp / "r1"))
            print(f"1 video, drop to strategy: {one:.2f} s")
            many = drop_to_strategy(variants(SAMPLE, tmp / "burst", args.burst), instance,
                                    resources_for("local", tmp / "r10"))
            print(f"{args.burst} videos dropped at once, drop to last strategy: {many:.2f} s "
                  f"({many / args.burst:.2f} s per video)")
            print(f"direct {d:.2f} s vs dagster {g:.2f} s (medians of {args.repeats})")
            print(f"pipeline: 1 video {one:.1f} s, {args.burst} videos {many:.1f} s, overhead {overhead:.1f}%")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
