"""`reelquant extract`: one lesson as a script, SRT, WebVTT and transcript JSON gives the parser's own specs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from reelquant.speech.subtitles import to_srt, to_vtt
from reelquant.speech.transcript import transcript_from_text
from reelquant.strategy.spec import StrategySpec
from reelquant.text.cli import read_transcript

from .lessons import SAMPLE_LESSONS

LESSON = "rsi_trend_pullback"


def _command() -> list[str]:
    """`reelquant extract` once the main command knows it; the module's own entry point until then."""
    from reelquant.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    wired = "extract" in sub.choices
    return [sys.executable, "-m", "reelquant.cli", "extract"] if wired else [sys.executable, "-m", "reelquant.text.cli"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*_command(), *args], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[2])


def _without_times(specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Specs with provenance times dropped: subtitles time words differently from a script, not the rules."""
    out = json.loads(json.dumps(specs))
    for spec in out:
        for prov in spec["provenance"]:
            prov.pop("start_s"), prov.pop("end_s")
    return out


@pytest.fixture(scope="module")
def lesson_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("extract")
    text = (SAMPLE_LESSONS / f"{LESSON}.txt").read_text(encoding="utf-8")
    transcript = transcript_from_text(text)
    files = {"txt": folder / f"{LESSON}.txt", "srt": folder / f"{LESSON}.srt", "vtt": folder / f"{LESSON}.vtt",
             "json": folder / f"{LESSON}.json", "report": folder / "report.json"}
    files["txt"].write_text(text, encoding="utf-8")
    files["srt"].write_text(to_srt(transcript), encoding="utf-8")
    files["vtt"].write_text(to_vtt(transcript), encoding="utf-8")
    files["json"].write_text(json.dumps(transcript.to_dict()), encoding="utf-8")
    # What report.json holds: the transcript's segments without words, beside text and counts.
    segments = [{k: s[k] for k in ("id", "start", "end", "text")} for s in transcript.to_dict()["segments"]]
    files["report"].write_text(json.dumps({"video_id": "x", "transcript": {
        "engine": "text", "text": transcript.text, "word_count": transcript.word_count, "segments": segments}}))
    return files


def test_json_output_is_the_parsers_specs_for_every_kind_of_file(lesson_files: dict[str, Path]) -> None:
    from reelquant.text.rules import extract_specs

    text = lesson_files["txt"].read_text(encoding="utf-8")
    expected = [s.to_dict() for s in extract_specs(transcript_from_text(text))]
    assert expected and all(StrategySpec.from_dict(s) for s in expected)
    out = _run(*(str(p) for p in lesson_files.values()), "--json")
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert list(got) == [str(p) for p in lesson_files.values()]
    assert got[str(lesson_files["txt"])] == expected
    for kind in ("srt", "vtt", "json", "report"):
        assert _without_times(got[str(lesson_files[kind])]) == _without_times(expected), kind


def test_subtitles_and_transcripts_carry_the_scripts_words(lesson_files: dict[str, Path]) -> None:
    words = lesson_files["txt"].read_text(encoding="utf-8").split()
    for kind in ("srt", "vtt", "json", "report"):
        transcript = read_transcript(lesson_files[kind])
        assert transcript.text.split() == words, kind
        assert transcript.segments[-1].end > transcript.segments[0].start


def test_readable_output_names_the_file_and_each_spec(lesson_files: dict[str, Path]) -> None:
    from reelquant.text.rules import extract_specs

    out = _run(str(lesson_files["txt"]))
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == str(lesson_files["txt"])
    specs = extract_specs(transcript_from_text(lesson_files["txt"].read_text(encoding="utf-8")))
    assert len(lines) == 1 + len(specs)
    for line, spec in zip(lines[1:], specs, strict=True):
        assert spec.summary() in line


def test_bad_files_are_named_and_the_good_one_is_still_read(lesson_files: dict[str, Path], tmp_path: Path) -> None:
    missing, unknown, broken = tmp_path / "gone.txt", tmp_path / "lesson.docx", tmp_path / "broken.srt"
    unknown.write_text("Buy when the RSI drops below 30.")
    broken.write_text("this is not a subtitle file\nat all\n")
    not_json = tmp_path / "t.json"
    not_json.write_text("{not json")
    out = _run(str(missing), str(unknown), str(lesson_files["txt"]), str(broken), str(not_json), "--json")
    assert out.returncode == 2
    errors = out.stderr.strip().splitlines()
    assert len(errors) == 4, errors
    for path, hint in ((missing, "does not exist"), (unknown, "unknown file type"), (broken, "valid SRT"),
                       (not_json, "not valid JSON")):
        line = next(e for e in errors if str(path) in e)
        assert hint in line and "Traceback" not in out.stderr, line
    assert list(json.loads(out.stdout)) == [str(lesson_files["txt"])]
