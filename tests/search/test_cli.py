"""`reelquant search` as a user runs it: the table, --json for scripts, and one-sentence errors."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from reelquant.search.cli import register
from reelquant.search.store import VectorStore


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="reelquant")
    parser.add_argument("--home")
    register(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, lesson_rows) -> Path:
    root = tmp_path_factory.mktemp("home")
    store = VectorStore(root / "lancedb", model_name="all-MiniLM-L6-v2", dim=384)
    for vid, rows in lesson_rows.items():
        if vid == "rsi_reversion":
            rows = [{**r, "clip_path": f"/clips/{vid}-{r['segment_id']}.mp4"} for r in rows]
        store.replace_video(vid, rows)
    return root


def _run(home: Path, *argv: str, capsys: pytest.CaptureFixture) -> tuple[int, str, str]:
    args = _parse(["--home", str(home), "search", *argv])
    code = args.func(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_the_table_lists_video_times_text_and_clip_best_first(home, capsys):
    code, out, _ = _run(home, "where do I put the stop loss on an RSI trade", "-k", "2", capsys=capsys)
    lines = out.splitlines()
    assert code == 0 and len(lines) == 4
    assert lines[0].split() == ["video", "start–end", "text", "clip"]
    assert set(lines[1].replace(" ", "")) == {"-"}
    assert lines[2].startswith("rsi_reversion") and "12.4–19.8" in lines[2]
    assert "stop loss two percent" in lines[2] and lines[2].endswith("/clips/rsi_reversion-2.mp4")


def test_json_gives_scripts_every_field_and_filters_apply(home, capsys):
    code, out, _ = _run(home, "when do I buy", "--video", "golden_cross", "-k", "5", "--json", capsys=capsys)
    hits = json.loads(out)
    assert code == 0 and hits and {h["video_id"] for h in hits} == {"golden_cross"}
    assert {"video_id", "segment_id", "start_s", "end_s", "text", "clip_path", "keywords", "score"} <= set(hits[0])
    code, out, _ = _run(home, "when do I buy", "--category", "indicators", "--json", capsys=capsys)
    assert code == 0 and {h["video_id"] for h in json.loads(out)} == {"rsi_reversion"}


@pytest.mark.parametrize("argv", [["x' OR '1'='1"], ["stop", "--video", "a'; DROP TABLE t; --"]])
def test_hostile_text_or_video_id_finds_nothing_wrong(home, capsys, argv):
    code, out, _ = _run(home, *argv, "--json", capsys=capsys)
    hits = json.loads(out)
    assert code == 0
    # The id matches no video literally; the text is only words to look for among the five lessons.
    expected = set() if "--video" in argv else {"rsi_reversion", "golden_cross", "macd_trend", "bollinger_bounce",
                                                "trading_psychology"}
    assert {h["video_id"] for h in hits} <= expected and len(hits) == (0 if "--video" in argv else 5)


def test_a_bad_category_or_k_is_one_sentence_on_stderr_and_exit_2(home, capsys):
    code, out, err = _run(home, "stop", "--category", "indicators' OR 1=1 --", capsys=capsys)
    assert code == 2 and out == "" and err.startswith("reelquant search: Unknown keyword category")
    assert err.strip().endswith(".") and err.count("\n") == 1
    code, _, err = _run(home, "stop", "-k", "0", capsys=capsys)
    assert code == 2 and "-k must be at least 1" in err


def test_an_empty_data_root_says_to_process_videos_first(tmp_path, capsys):
    code, out, _ = _run(tmp_path, "stop loss", capsys=capsys)
    assert code == 0 and "process some videos first" in out
    code, out, _ = _run(tmp_path, "stop loss", "--json", capsys=capsys)
    assert code == 0 and json.loads(out) == []
