"""Evidence for each rule of a spec: the extractor's quote plus the supporting segments the index finds in that video."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelquant.search.evaluate import script_rows
from reelquant.search.evidence import MIN_SIMILARITY, evidence_for_spec, rule_parts
from reelquant.search.store import VectorStore
from reelquant.strategy.spec import StrategySpec
from reelquant.text.extract import extract_spec, transcript_from_text

ROOT = Path(__file__).resolve().parents[2]
LESSONS = {
    "ema_crossover_stop": ROOT / "samples" / "ema_crossover_stop.txt",
    "rsi_short_fade": ROOT / "tests" / "lessons" / "rsi_short_fade.txt",
    "fomo_mindset": ROOT / "tests" / "lessons" / "fomo_mindset.txt",
}


@pytest.fixture(scope="module")
def lessons(tmp_path_factory: pytest.TempPathFactory, embedder):
    scripts = {vid: path.read_text(encoding="utf-8") for vid, path in LESSONS.items()}
    store = VectorStore(tmp_path_factory.mktemp("evidence") / "lancedb", "all-MiniLM-L6-v2", 384)
    for vid, rows in script_rows(embedder, scripts).items():
        store.replace_video(vid, rows)
    specs = {vid: extract_spec(transcript_from_text(text)) for vid, text in scripts.items()}
    return store, specs


def test_every_rule_gets_its_quote_and_a_segment_of_its_own_video_that_holds_that_quote(lessons, embedder):
    store, specs = lessons
    spec = specs["ema_crossover_stop"]
    evidence = evidence_for_spec(store, embedder, spec, "ema_crossover_stop", k=2)
    parts = [p for p, _ in rule_parts(spec)]
    assert parts == ["entry[0]", "exit[0]", "stop_loss_pct"]
    for part in parts:
        mine = [e for e in evidence if e["part"] == part]
        quote = next(e for e in mine if e["source"] == "provenance")
        found = [e for e in mine if e["source"] == "search"]
        assert 1 <= len(found) <= 2
        # The best segment is the one that holds the words the rule was read from, at their time.
        assert found[0]["quoted"] and quote["text"] in found[0]["text"]
        assert found[0]["start_s"] <= quote["start_s"] and quote["end_s"] <= found[0]["end_s"]
        assert all(e["score"] >= MIN_SIMILARITY or e["quoted"] for e in found)
    stop = next(e for e in evidence if e["part"] == "stop_loss_pct" and e["source"] == "search")
    assert "four percent" in stop["text"]


def test_evidence_never_leaves_the_video_even_when_another_lesson_says_it_better(lessons, embedder):
    store, specs = lessons
    # The short-fade lesson's rules, looked for in a lesson about a moving average crossover.
    evidence = evidence_for_spec(store, embedder, specs["rsi_short_fade"], "ema_crossover_stop", k=3)
    searched = [e for e in evidence if e["source"] == "search"]
    times = {(round(e["start_s"], 3), round(e["end_s"], 3)) for e in searched}
    own = {(r["start_s"], r["end_s"]) for r in store.search([0.0] * 383 + [1.0], k=50, video_id="ema_crossover_stop")}
    assert times <= own


def test_a_spec_without_rules_has_no_evidence_and_rules_are_said_in_words(lessons, embedder):
    store, specs = lessons
    assert not specs["fomo_mindset"].testable
    assert evidence_for_spec(store, embedder, specs["fomo_mindset"], "fomo_mindset") == []
    said = dict(rule_parts(specs["rsi_short_fade"]))
    assert said["entry[0]"] == "sell short when the 14 period RSI relative strength index is above 80"
    # A short position's stop sits above the entry.
    assert said["stop_loss_pct"] == "stop loss 4 percent above the entry"


def test_without_provenance_the_rule_in_words_still_finds_its_segment(lessons, embedder):
    store, specs = lessons
    bare = StrategySpec.from_dict({**specs["rsi_short_fade"].to_dict(), "provenance": []})
    evidence = evidence_for_spec(store, embedder, bare, "rsi_short_fade", k=1)
    assert all(e["source"] == "search" for e in evidence)
    entry = next(e for e in evidence if e["part"] == "entry[0]")
    assert "I sell short when the RSI rises above eighty." in entry["text"]
