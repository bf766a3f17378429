"""eval-extraction: a folder of labeled lessons scored as text, as an SRT sidecar and as a speech engine hears it
(the default engine, Whisper base, and pocketsphinx), with the same lines the shared reference scorer prints
for the same extractions."""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from reelquant.speech.wer import word_error_rate
from reelquant.strategy.evaluate import (
    ENGINE_SETTINGS,
    EvaluationError,
    asr_engine,
    engine_label,
    evaluate_dir,
    format_result,
    lesson_video,
    register,
)
from reelquant.strategy.spec import StrategySpec

from .lessons import LABEL_SETS, REFERENCE_SCORER, SAMPLE_LESSONS, SHARED_LESSONS, require

TOTALS = re.compile(r"^extraction: \d+/\d+ exact, cond P=\d\.\d\d R=\d\.\d\d, wrong_testable=\d+$")
# Short seed lessons: quick to voice, and every kind of answer (state, crossing, not testable).
SEED = ("golden_cross", "rsi_reversion", "trading_psychology")


def _reference_lines(label_dir: Path, result: dict[str, Any], tmp: Path) -> list[str]:
    """What score_specs.py prints for the specs this evaluation extracted."""
    reports = tmp / "reports"
    for row in result["rows"]:
        if "heard" in row:  # lessons without a script have no report, as in the reference's "missing"
            (reports / row["lesson"]).mkdir(parents=True)
            (reports / row["lesson"] / "report.json").write_text(
                json.dumps({"video_id": row["lesson"], "strategy_spec": row["specs"]}))
    reports.mkdir(exist_ok=True)
    out = subprocess.run([sys.executable, str(require(REFERENCE_SCORER)), str(label_dir), str(reports)],
                         capture_output=True, text=True, check=True)
    return out.stdout.splitlines()


def _scored_lines(result: dict[str, Any]) -> list[str]:
    """The printed lines without the indented explanations."""
    return [line for line in format_result(result).splitlines() if not line.startswith(" ")]


def _subset(tmp: Path, names: tuple[str, ...]) -> Path:
    folder = tmp / "lessons"
    folder.mkdir()
    for name in names:
        for suffix in (".txt", ".spec.json"):
            shutil.copy(require(SHARED_LESSONS) / f"{name}{suffix}", folder)
    return folder


@pytest.mark.parametrize("label_set", sorted(LABEL_SETS))
def test_text_mode_prints_what_the_reference_prints(label_set: str, tmp_path: Path) -> None:
    folder = LABEL_SETS[label_set]
    result = evaluate_dir(folder, mode="text")
    assert [r["lesson"] for r in result["rows"]] == sorted(p.name[:-10] for p in folder.glob("*.spec.json"))
    lines = _scored_lines(result)
    assert lines == _reference_lines(folder, result, tmp_path)
    assert TOTALS.match(lines[-1]), lines[-1]
    assert all(isinstance(s, dict) and s["version"] == 2 for r in result["rows"] for s in r["specs"])


def test_a_wrong_label_is_scored_as_a_miss_and_explained(tmp_path: Path) -> None:
    for name in ("rsi_trend_pullback", "earnings_gap_story"):
        shutil.copy(SAMPLE_LESSONS / f"{name}.txt", tmp_path)
    label = json.loads((SAMPLE_LESSONS / "rsi_trend_pullback.spec.json").read_text())
    right = evaluate_dir(SAMPLE_LESSONS)["rows"]
    was_exact = next(r for r in right if r["lesson"] == "rsi_trend_pullback")["exact"]
    label["long"]["exit"]["any"][0]["right"] = 80
    (tmp_path / "rsi_trend_pullback.spec.json").write_text(json.dumps(label))
    # The earnings story labeled as a testable rule: an extractor that says not testable misses it.
    (tmp_path / "earnings_gap_story.spec.json").write_text(json.dumps(label))
    rows = {r["lesson"]: r for r in evaluate_dir(tmp_path)["rows"]}
    pullback = rows["rsi_trend_pullback"]
    assert not pullback["exact"]
    if was_exact:  # against the true label it was exact: now exactly the exit level differs
        assert (pullback["fp"], pullback["fn"]) == (1, 1)
        assert any("missed rsi(2) > 80" in w for w in pullback["why"]), pullback["why"]
        assert any("extra  rsi(2) > 70" in w for w in pullback["why"]), pullback["why"]
    story = rows["earnings_gap_story"]
    if not story["testable"]:
        assert story["missed_testable"] and not story["wrong_testable"]
        assert any(w.startswith("not testable:") for w in story["why"])


def test_a_label_without_its_script_is_missing(tmp_path: Path) -> None:
    shutil.copy(SAMPLE_LESSONS / "ema_crossover_stop.txt", tmp_path)
    shutil.copy(SAMPLE_LESSONS / "ema_crossover_stop.spec.json", tmp_path)
    shutil.copy(SAMPLE_LESSONS / "rsi_trend_pullback.spec.json", tmp_path)
    result = evaluate_dir(tmp_path)
    assert _scored_lines(result) == _reference_lines(tmp_path, result, tmp_path)
    assert " missing " in _scored_lines(result)[1]


def test_bad_folder_mode_and_label_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(EvaluationError, match="no NAME.txt"):
        evaluate_dir(tmp_path)
    with pytest.raises(EvaluationError, match="not a folder"):
        evaluate_dir(tmp_path / "missing")
    with pytest.raises(EvaluationError, match="choose one of"):
        evaluate_dir(SAMPLE_LESSONS, mode="video")
    with pytest.raises(EvaluationError, match="unknown voice 'robot'; choose one of festival"):
        evaluate_dir(SAMPLE_LESSONS, mode="asr", voice="robot")
    with pytest.raises(EvaluationError, match="unknown engine 'vosk'"):
        asr_engine("vosk")
    (tmp_path / "x.txt").write_text("Buy when the RSI drops below 30.")
    (tmp_path / "x.spec.json").write_text(json.dumps({"version": 2, "testable": True, "long": None}))
    with pytest.raises(EvaluationError, match="fix the label"):
        evaluate_dir(tmp_path)


def test_command_prints_lessons_and_the_reference_totals_line(capsys: pytest.CaptureFixture[str],
                                                               tmp_path: Path) -> None:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["eval-extraction", str(SAMPLE_LESSONS), "--mode", "text", "--cache", str(tmp_path)])
    assert args.func(args) == 0
    out = capsys.readouterr().out.splitlines()
    assert TOTALS.match(out[-1]), out[-1]
    assert out[-1] == _reference_lines(SAMPLE_LESSONS, evaluate_dir(SAMPLE_LESSONS), tmp_path)[-1]
    assert any(line.startswith("rsi_trend_pullback ") for line in out)
    args = parser.parse_args(["eval-extraction", str(SAMPLE_LESSONS), "--json"])
    assert args.func(args) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["line"] == out[-1] and data["totals"]["n"] == 3
    args = parser.parse_args(["eval-extraction", "/nonexistent/lessons"])
    assert args.func(args) == 2
    assert "not a folder" in capsys.readouterr().err


def test_sidecar_mode_reads_the_srt_made_at_real_sentence_times(lesson_video_cache: Path, tmp_path: Path) -> None:
    # The same videos serve the ASR test below, so each lesson is synthesized once per session.
    folder = _subset(tmp_path, SEED)
    result = evaluate_dir(folder, mode="sidecar", cache_dir=lesson_video_cache)
    assert _scored_lines(result) == _reference_lines(folder, result, tmp_path)
    text = {r["lesson"]: r for r in evaluate_dir(folder, mode="text")["rows"]}
    for row in result["rows"]:
        script = (folder / f"{row['lesson']}.txt").read_text()
        assert row["heard"].split() == script.split(), row["lesson"]  # the subtitles carry the script's words
        assert [StrategySpec.from_dict(s).summary() for s in row["specs"]] == text[row["lesson"]]["summaries"]
    mp4, srt = lesson_video((folder / "golden_cross.txt").read_text(), lesson_video_cache)
    assert mp4.stat().st_size > 10_000 and srt.read_text().count("-->") >= 4


def test_pocketsphinx_transcripts_are_scored_like_the_reference(lesson_video_cache: Path, tmp_path: Path) -> None:
    folder = _subset(tmp_path, SEED)
    result = evaluate_dir(folder, mode="asr", cache_dir=lesson_video_cache, engine=asr_engine("pocketsphinx"))
    assert result["engine"].startswith("pocketsphinx language_model=trading") and result["voice"] == "festival"
    assert _scored_lines(result) == _reference_lines(folder, result, tmp_path)
    assert result["totals"].wrong_testable == 0
    for row in result["rows"]:
        script = set((folder / f"{row['lesson']}.txt").read_text().lower().split())
        heard = row["heard"].lower().split()
        # pocketsphinx heard the lesson: most of its words are the script's (not an empty or foreign text)
        assert len(heard) > 20 and sum(w in script for w in heard) / len(heard) > 0.6, row["heard"]


class _Deaf:
    """An engine with Whisper base's name and settings that cannot hear: any call to it fails the test."""

    def __init__(self, like: Any) -> None:
        self.name = like.name
        for key in ENGINE_SETTINGS:  # every setting that names a cached transcript
            if hasattr(like, key):
                setattr(self, key, getattr(like, key))

    def transcribe(self, wav: Path, video: Path | None = None) -> Any:
        raise AssertionError(f"{wav} was heard again instead of read from the cache")


def test_piper_lessons_heard_by_the_default_engine_are_scored_and_kept(tmp_path: Path) -> None:
    # Piper's neural voice heard by the transcriber's default engine (faster-whisper, Whisper base, int8):
    # the acceptance setting of bench/extraction.py, on two short lessons (one rule, one not testable).
    folder = _subset(tmp_path, ("golden_cross", "trading_psychology"))
    cache = tmp_path / "videos"
    engine = asr_engine()
    result = evaluate_dir(folder, mode="asr", cache_dir=cache, engine=engine, voice="piper")
    assert result["engine"] == engine_label(engine) and result["engine"].startswith("faster_whisper model=")
    assert "base" in result["engine"] and result["voice"] == "piper"
    assert _scored_lines(result) == _reference_lines(folder, result, tmp_path)
    assert result["totals"].wrong_testable == 0
    for row in result["rows"]:
        script = (folder / f"{row['lesson']}.txt").read_text()
        assert word_error_rate(script, row["heard"]) < 0.25, row["heard"]  # Whisper heard this lesson
    # Each lesson's transcript is kept beside its Piper speech, named by the engine setting that made it ...
    kept = sorted(cache.glob("*/transcript-*.json"))
    assert len(kept) == 2 and all((k.parent / "speech16k.wav").is_file() for k in kept)
    # ... and read back by a rerun with the same setting: the same words and specs, nothing heard again.
    again = evaluate_dir(folder, mode="asr", cache_dir=cache, engine=_Deaf(engine), voice="piper")
    assert [(r["heard"], r["specs"]) for r in again["rows"]] == [(r["heard"], r["specs"]) for r in result["rows"]]
    # Another setting of the same engine is another cache entry: it would hear the lessons again.
    other = _Deaf(engine)
    other.compute_type = "float32"
    with pytest.raises(AssertionError, match="heard again"):
        evaluate_dir(folder, mode="asr", cache_dir=cache, engine=other, voice="piper")
