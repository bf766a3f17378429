"""Sentence-window chunks of transcripts: boundaries, times, overlap and ids."""

from __future__ import annotations

import pytest

from reelquant.search.chunks import chunk_transcript
from reelquant.speech.transcript import Segment, Transcript, Word


def _timed_segment(seg_id: int, start: float, text: str, word_s: float = 0.5) -> Segment:
    words = [Word(w, start + i * word_s, start + (i + 1) * word_s - 0.1) for i, w in enumerate(text.split())]
    return Segment(seg_id, words[0].start, words[-1].end, text, words)


def test_windows_follow_word_times_and_overlap_by_one_sentence():
    # Four sentences of 5, 4, 6 and 3 words; a 10-word budget fits two at a time.
    seg0 = _timed_segment(0, 1.0, "Buy when RSI drops below. Then hold the position.")
    seg1 = _timed_segment(1, 8.0, "Sell when RSI rises above seventy. Use a stop.")
    chunks = chunk_transcript(Transcript([seg0, seg1], engine="test"), "vid-1", max_words=10, overlap_sentences=1)

    assert [c["text"] for c in chunks] == [
        "Buy when RSI drops below. Then hold the position.",
        "Then hold the position. Sell when RSI rises above seventy.",
        "Sell when RSI rises above seventy. Use a stop.",
    ]
    assert [c["segment_id"] for c in chunks] == [0, 1, 2]
    assert {c["video_id"] for c in chunks} == {"vid-1"}
    w0, w1 = seg0.words, seg1.words
    assert (chunks[0]["start_s"], chunks[0]["end_s"]) == (w0[0].start, w0[-1].end)
    assert (chunks[1]["start_s"], chunks[1]["end_s"]) == (w0[5].start, w1[5].end)
    assert (chunks[2]["start_s"], chunks[2]["end_s"]) == (w1[0].start, w1[-1].end)


def test_no_overlap_partitions_the_sentences():
    seg = _timed_segment(0, 0.0, "One two. Three four. Five six. Seven eight.")
    chunks = chunk_transcript(Transcript([seg], engine="test"), "v", max_words=4, overlap_sentences=0)
    assert [c["text"] for c in chunks] == ["One two. Three four.", "Five six. Seven eight."]
    assert chunks[0]["end_s"] <= chunks[1]["start_s"]


def test_segments_without_word_times_spread_time_over_their_words():
    seg = Segment(0, 10.0, 20.0, "Buy the dip. Add the tip.")
    chunks = chunk_transcript(Transcript([seg], engine="sidecar"), "v", max_words=3, overlap_sentences=0)
    assert [c["text"] for c in chunks] == ["Buy the dip.", "Add the tip."]
    assert chunks[0]["start_s"] == 10.0 and chunks[1]["end_s"] == 20.0
    # Both sentences have the same number of characters, so the cut falls in the middle of the segment.
    assert chunks[0]["end_s"] == pytest.approx(15.0, abs=0.01)
    assert chunks[1]["start_s"] == pytest.approx(15.0, abs=0.01)


def test_unpunctuated_transcripts_use_segments_as_sentences():
    segs = [
        _timed_segment(0, 0.0, "buy when the average turns up"),
        _timed_segment(1, 5.0, "sell when it turns down"),
        _timed_segment(2, 9.0, "keep risk small"),
    ]
    chunks = chunk_transcript(Transcript(segs, engine="pocketsphinx"), "v", max_words=11, overlap_sentences=1)
    assert [c["text"] for c in chunks] == [
        "buy when the average turns up sell when it turns down",
        "sell when it turns down keep risk small",
    ]
    assert chunks[1]["start_s"] == segs[1].start and chunks[1]["end_s"] == segs[2].end


def test_long_sentences_are_split_and_every_word_is_kept_in_order():
    text = " ".join(f"w{i}" for i in range(150))
    chunks = chunk_transcript(Transcript([_timed_segment(0, 0.0, text)], engine="t"), "v", max_words=60,
                              overlap_sentences=0)
    assert all(len(c["text"].split()) <= 60 for c in chunks)
    assert " ".join(c["text"] for c in chunks).split() == text.split()


def test_overlap_never_leaves_a_window_without_new_text():
    # The long middle sentence cannot share a window with the last one, so no overlap is carried across it.
    text = "Short one. " + " ".join(["long"] * 8) + ". End here now."
    chunks = chunk_transcript(Transcript([_timed_segment(0, 0.0, text)], engine="t"), "v", max_words=10,
                              overlap_sentences=1)
    texts = [c["text"] for c in chunks]
    assert texts[-1] == "End here now."
    assert all(later not in earlier for earlier, later in zip(texts, texts[1:], strict=False))


def test_same_transcript_gives_same_chunks_and_empty_gives_none():
    seg = _timed_segment(0, 0.0, "A rule. Another rule. A third rule.")
    t = Transcript([seg], engine="t")
    assert chunk_transcript(t, "v", max_words=4) == chunk_transcript(t, "v", max_words=4)
    assert chunk_transcript(Transcript([], engine="t"), "v") == []


@pytest.mark.parametrize(("max_words", "overlap"), [(0, 1), (10, -1)])
def test_bad_window_settings_are_rejected(max_words: int, overlap: int):
    with pytest.raises(ValueError):
        chunk_transcript(Transcript([], engine="t"), "v", max_words=max_words, overlap_sentences=overlap)
