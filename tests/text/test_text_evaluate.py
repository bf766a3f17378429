"""eval-extraction: scoring a folder of labeled lessons as text, as an SRT sidecar, and as pocketsphinx hears it."""

import argparse
import json
import shutil
from pathlib import Path

import pytest

from reelquant.strategy.evaluate import EvaluationError, evaluate_dir, lesson_video, register

from .lessons import OWN_LESSONS, SAMPLE_LESSONS, SHARED_LESSONS

needs_shared = pytest.mark.skipif(SHARED_LESSONS is None, reason="the shared labeled lessons are not here")


def test_text_mode_scores_every_labeled_lesson() -> None:
    result = evaluate_dir(OWN_LESSONS, mode="text")
    rows = result["rows"]
    assert {r["lesson"] for r in rows} == {p.stem for p in OWN_LESSONS.glob("*.txt")}
    totals = result["totals"]
    assert totals["n"] == len(rows) and totals["wrong_testable"] == 0
    assert totals["precision"] >= 0.95 and totals["recall"] >= 0.9
    assert totals["exact"] == sum(r["exact"] for r in rows)


def test_a_wrong_label_is_scored_as_a_miss(tmp_path: Path) -> None:
    for name in ("rsi_trend_pullback", "earnings_gap_story"):
        shutil.copy(SAMPLE_LESSONS / f"{name}.txt", tmp_path)
    label = json.loads((SAMPLE_LESSONS / "rsi_trend_pullback.spec.json").read_text())
    label["exit"]["any"][0]["right"] = 80
    (tmp_path / "rsi_trend_pullback.spec.json").write_text(json.dumps(label))
    # The earnings story labeled as a testable rule: the extractor rightly says not testable.
    (tmp_path / "earnings_gap_story.spec.json").write_text(json.dumps(label))
    rows = {r["lesson"]: r for r in evaluate_dir(tmp_path)["rows"]}
    assert not rows["rsi_trend_pullback"]["exact"]
    assert rows["rsi_trend_pullback"]["fp"] == 1 and rows["rsi_trend_pullback"]["fn"] == 1
    assert rows["earnings_gap_story"]["missed_testable"] and not rows["earnings_gap_story"]["wrong_testable"]


def test_bad_folder_and_mode_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(EvaluationError, match="no NAME.txt"):
        evaluate_dir(tmp_path)
    with pytest.raises(EvaluationError, match="not a folder"):
        evaluate_dir(tmp_path / "missing")
    with pytest.raises(EvaluationError, match="choose one of"):
        evaluate_dir(OWN_LESSONS, mode="video")


def test_command_prints_lessons_and_totals(capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["eval-extraction", str(SAMPLE_LESSONS), "--mode", "text"])
    assert args.func(args) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "text: 3/3 exact, cond P=1.00 R=1.00, wrong_testable=0"
    assert any(line.startswith("rsi_trend_pullback") and "exact" in line for line in out)
    args = parser.parse_args(["eval-extraction", "/nonexistent/lessons"])
    assert args.func(args) == 2
    assert "not a folder" in capsys.readouterr().err


@needs_shared
def test_sidecar_mode_reads_the_srt_made_at_real_sentence_times(lesson_video_cache: Path) -> None:
    # The same videos serve the ASR test below, so each lesson is synthesized once per session.
    result = evaluate_dir(SHARED_LESSONS, mode="sidecar", cache_dir=lesson_video_cache)
    totals = result["totals"]
    assert totals["exact"] == totals["n"] == 6, [(r["lesson"], r["summary"]) for r in result["rows"]]
    mp4, srt = lesson_video((SHARED_LESSONS / "golden_cross.txt").read_text(), lesson_video_cache)
    assert mp4.stat().st_size > 10_000 and srt.read_text().count("-->") >= 4


@needs_shared
def test_pocketsphinx_with_the_trading_model_recovers_the_shared_lessons(lesson_video_cache: Path) -> None:
    from reelquant.speech.engines import PocketsphinxEngine

    engine = PocketsphinxEngine(language_model="trading")
    result = evaluate_dir(SHARED_LESSONS, mode="asr", cache_dir=lesson_video_cache, engine=engine)
    totals = result["totals"]
    assert totals["wrong_testable"] == 0
    assert totals["exact"] >= 5, [(r["lesson"], r["summary"], r["heard"]) for r in result["rows"]]
    for row in result["rows"]:
        # Whatever was not read exactly says why instead of standing as a smaller rule.
        assert row["exact"] or (not row["testable"] and row["unsupported"]), row
