"""Evidence for each rule of each setup: the extractor's quote plus the supporting segments the index finds in that
video. The setups are the lessons' own labels with their rules quoted where the script says them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reelquant.search.evaluate import script_rows
from reelquant.search.evidence import MIN_SIMILARITY, evidence_for_spec, evidence_for_specs, rule_parts
from reelquant.search.store import VectorStore
from reelquant.speech.transcript import transcript_from_text
from reelquant.strategy.spec import StrategySpec, load_specs

ROOT = Path(__file__).resolve().parents[2]
LESSONS = {
    "ema_crossover_stop": ROOT / "samples" / "ema_crossover_stop.txt",
    "rsi_short_fade": ROOT / "tests" / "lessons" / "rsi_short_fade.txt",
    "fomo_mindset": ROOT / "tests" / "lessons" / "fomo_mindset.txt",
}
# Where each lesson says each rule: words of the sentence that carries it.
SAID = {
    "ema_crossover_stop": {"long.entry[0]": "crosses above the fifty", "long.exit[0]": "crosses back below",
                           "stops": "stop loss four percent"},
    "rsi_short_fade": {"short.entry[0]": "sell short when", "short.exit[0]": "cover when",
                       "stops.stop_loss_pct": "stop loss goes four percent"},
    "fomo_mindset": {},
}


def _quoted(name: str, text: str) -> StrategySpec:
    """The lesson's labeled spec with provenance at the sentences that say each rule."""
    spec = load_specs(json.loads(LESSONS[name].with_suffix(".spec.json").read_text()))[0]
    segments = transcript_from_text(text).segments
    provenance = []
    for part, words in SAID[name].items():
        seg = next(s for s in segments if words in s.text)
        provenance.append({"part": part, "start_s": seg.start, "end_s": seg.end, "text": seg.text})
    return StrategySpec.from_dict({**spec.to_dict(), "provenance": provenance})


@pytest.fixture(scope="module")
def lessons(tmp_path_factory: pytest.TempPathFactory, embedder):
    scripts = {vid: path.read_text(encoding="utf-8") for vid, path in LESSONS.items()}
    store = VectorStore(tmp_path_factory.mktemp("evidence") / "lancedb", "all-MiniLM-L6-v2", 384)
    for vid, rows in script_rows(embedder, scripts).items():
        store.replace_video(vid, rows)
    specs = {vid: _quoted(vid, text) for vid, text in scripts.items()}
    return store, specs


def test_every_rule_gets_its_quote_and_a_segment_of_its_own_video_that_holds_that_quote(lessons, embedder):
    store, specs = lessons
    spec = specs["ema_crossover_stop"]
    evidence = evidence_for_spec(store, embedder, spec, "ema_crossover_stop", k=2)
    parts = [p for p, _ in rule_parts(spec)]
    assert parts == ["long.entry[0]", "long.exit[0]", "stops.stop_loss_pct"]
    for part in parts:
        mine = [e for e in evidence if e["part"] == part or (part.startswith("stops.") and e["part"] == "stops")]
        quote = next(e for e in mine if e["source"] == "provenance")
        found = [e for e in mine if e["source"] == "search"]
        assert 1 <= len(found) <= 2
        # The best segment is the one that holds the words the rule was read from, at their time.
        assert found[0]["quoted"] and quote["text"] in found[0]["text"]
        assert found[0]["start_s"] <= quote["start_s"] and quote["end_s"] <= found[0]["end_s"]
        assert all(e["score"] >= MIN_SIMILARITY or e["quoted"] for e in found)
    stop = next(e for e in evidence if e["part"] == "stops.stop_loss_pct" and e["source"] == "search")
    assert "four percent" in stop["text"]
    assert {e["setup"] for e in evidence} == {0}


def test_each_setup_of_a_list_keeps_its_own_evidence(lessons, embedder):
    store, specs = lessons
    # One video teaching both setups: the index holds each lesson under its own id, so search the EMA lesson.
    both = [specs["ema_crossover_stop"], specs["rsi_short_fade"]]
    evidence = evidence_for_specs(store, embedder, both, "ema_crossover_stop", k=1)
    by_setup = {i: {e["part"] for e in evidence if e["setup"] == i} for i in (0, 1)}
    assert by_setup[0] >= {"long.entry[0]", "long.exit[0]", "stops", "stops.stop_loss_pct"}
    assert {p for p in by_setup[1] if p.startswith("short.")} == {"short.entry[0]", "short.exit[0]"}
    # The short setup's quotes are its own, even when searched in the other lesson.
    assert all(e["text"] in LESSONS["rsi_short_fade"].read_text() for e in evidence
               if e["setup"] == 1 and e["source"] == "provenance")
    assert evidence_for_specs(store, embedder, [s.to_dict() for s in both], "ema_crossover_stop", k=1) == evidence


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
    assert said["short.entry[0]"] == "sell short when the 14 period relative strength index rsi is above 80"
    assert said["short.exit[0]"] == "cover when the 14 period relative strength index rsi is below 50"
    # A short position's stop sits above the entry.
    assert said["stops.stop_loss_pct"] == "stop loss 4 percent above the entry"
    crossing = dict(rule_parts(specs["ema_crossover_stop"]))["long.entry[0]"]
    assert crossing == ("buy when the 20 period exponential moving average ema crosses above "
                        "the 50 period exponential moving average ema")


def test_offsets_scales_bar_counts_and_time_exits_are_said_too() -> None:
    spec = StrategySpec.from_dict({
        "version": 2, "testable": True, "timeframe": "1d",
        "long": {"entry": {"all": [
            {"left": {"indicator": "close"}, "op": "<", "for_bars": 2,
             "right": {"indicator": "sma", "params": {"window": 20}, "scale": 0.95}},
            {"left": {"indicator": "rsi", "params": {"window": 2}}, "op": "<",
             "right": {"indicator": "rsi", "params": {"window": 2}, "offset": 1}}]}},
        "stops": {"stop_loss_atr": 2.0, "max_bars_held": 5},
    })
    said = dict(rule_parts(spec))
    assert said["long.entry[0]"] == ("buy when the close price is below 0.95 times the 20 period simple moving average "
                                     "sma for 2 bars in a row")
    assert said["long.entry[1]"].endswith("is below the 2 period relative strength index rsi 1 bar ago")
    assert said["stops.stop_loss_atr"] == "stop loss 2 times the ATR average true range below the entry"
    assert said["stops.max_bars_held"] == "exit after 5 bars"


def test_without_provenance_the_rule_in_words_still_finds_its_segment(lessons, embedder):
    store, specs = lessons
    bare = StrategySpec.from_dict({**specs["rsi_short_fade"].to_dict(), "provenance": []})
    evidence = evidence_for_spec(store, embedder, bare, "rsi_short_fade", k=1)
    assert all(e["source"] == "search" for e in evidence)
    entry = next(e for e in evidence if e["part"] == "short.entry[0]")
    assert "I sell short when the RSI rises above eighty." in entry["text"]
