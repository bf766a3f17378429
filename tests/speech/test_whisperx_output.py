"""transcript_from_whisperx on dicts of exactly the shape whisperx's transcribe and align return."""

from __future__ import annotations

import importlib.util

import pytest

from reelquant.speech.whisper import WhisperXEngine, transcript_from_whisperx

# whisperx.load_model(...).transcribe(audio): segments with text and times, no words.
UNALIGNED = {
    "segments": [
        {"text": " Buy when the fast average crosses above the slow one.", "start": 0.031, "end": 3.9},
        {"text": " Put the stop two percent below entry.", "start": 4.5, "end": 7.25},
    ],
    "language": "en",
}

# whisperx.align(...): words carry start/end/score; words it cannot place (digits) carry only "word".
ALIGNED = {
    "segments": [
        {
            "start": 0.051, "end": 3.82, "text": " Buy when RSI drops under 30.",
            "words": [
                {"word": "Buy", "start": 0.051, "end": 0.29, "score": 0.912},
                {"word": "when", "start": 0.33, "end": 0.52, "score": 0.88},
                {"word": "RSI", "start": 0.61, "end": 1.4, "score": 0.701},
                {"word": "drops", "start": 1.5, "end": 1.9, "score": 0.95},
                {"word": "under", "start": 2.0, "end": 2.31, "score": 0.9},
                {"word": "30."},
            ],
        },
        {
            "start": 4.2, "end": 5.0, "text": " Sell.",
            "words": [{"word": "Sell.", "start": 4.2, "end": 4.9, "score": 0.99}],
        },
    ],
    "word_segments": [
        {"word": "Buy", "start": 0.051, "end": 0.29, "score": 0.912},
        {"word": "Sell.", "start": 4.2, "end": 4.9, "score": 0.99},
    ],
}


def test_aligned_words_keep_their_times_and_scores() -> None:
    tr = transcript_from_whisperx(ALIGNED, duration_s=6.0, model="large-v3", language="en")
    assert tr.engine == "whisperx" and tr.language == "en"
    # The unplaced number is counted and the transcript says so.
    assert tr.interpolated_words == 1 and any("1 word(s)" in w and "neighbours" in w for w in tr.warnings)
    assert [s.text for s in tr.segments] == ["Buy when RSI drops under 30.", "Sell."]
    first = tr.segments[0].words
    assert [w.text for w in first] == ["Buy", "when", "RSI", "drops", "under", "30."]
    assert (first[2].start, first[2].end, first[2].confidence) == (0.61, 1.4, 0.701)
    # The unplaced "30." is given the tail of its segment, after the last aligned word.
    assert first[5].confidence is None
    assert first[4].end <= first[5].start <= first[5].end <= tr.segments[0].end


def test_unplaced_words_sit_between_their_neighbours() -> None:
    # whisperx leaves "2" and "percent" of "put the stop 2 percent below" unaligned, between timed words.
    result = {"segments": [{"start": 10.0, "end": 14.0, "text": " Put the stop 2 percent below entry.", "words": [
        {"word": "Put", "start": 10.0, "end": 10.3, "score": 0.9},
        {"word": "the", "start": 10.35, "end": 10.5, "score": 0.9},
        {"word": "stop", "start": 10.6, "end": 11.0, "score": 0.9},
        {"word": "2"}, {"word": "percent"},
        {"word": "below", "start": 12.2, "end": 12.6, "score": 0.8},
        {"word": "entry.", "start": 12.7, "end": 13.4, "score": 0.85}]}], "language": "en"}
    tr = transcript_from_whisperx(result, duration_s=20.0)
    words = tr.segments[0].words
    assert tr.interpolated_words == 2
    two, percent = words[3], words[4]
    # Placed in the gap the aligner left, in order, nothing outside it; the aligned words keep their times.
    assert (two.start, percent.end) == (11.0, 12.2)
    assert two.start < two.end <= percent.start < percent.end
    assert (words[5].start, words[5].end) == (12.2, 12.6)
    assert two.confidence is None and words[5].confidence == 0.8
    assert all(w.end >= w.start for s in tr.segments for w in s.words)


def test_unaligned_result_spreads_words_and_warns() -> None:
    tr = transcript_from_whisperx(UNALIGNED, duration_s=8.0)
    assert any("alignment" in w for w in tr.warnings)
    assert tr.interpolated_words == sum(len(s.words) for s in tr.segments)
    assert tr.language == "en"
    seg = tr.segments[1]
    assert [w.text for w in seg.words] == ["Put", "the", "stop", "two", "percent", "below", "entry."]
    assert seg.words[0].start == pytest.approx(4.5) and seg.words[-1].end == pytest.approx(7.25)
    starts = [w.start for w in seg.words]
    assert starts == sorted(starts)
    # Longer words get longer spans.
    spans = {w.text: w.end - w.start for w in seg.words}
    assert spans["percent"] > spans["the"]


def test_offset_and_duration_clamp_times() -> None:
    tr = transcript_from_whisperx(UNALIGNED, duration_s=605.0, offset_s=600.0)
    assert tr.segments[0].start == pytest.approx(600.031)
    assert tr.segments[-1].end == 605.0
    assert all(w.end <= 605.0 for s in tr.segments for w in s.words)


def test_empty_result_is_no_speech() -> None:
    tr = transcript_from_whisperx({"segments": [], "language": "en"}, duration_s=3.0)
    assert tr.segments == [] and tr.warnings == ["no speech was found in the audio"]


@pytest.mark.skipif(importlib.util.find_spec("whisperx") is not None, reason="whisperx is installed here")
def test_engine_without_whisperx_says_how_to_get_it() -> None:
    ok, why = WhisperXEngine("tiny").available()
    assert not ok and "gpu" in why
