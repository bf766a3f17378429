"""A lesson in another language: its English translation is what rules, keywords and features read, while the
original stays the transcript of record; words without times are placed between their neighbours."""

from __future__ import annotations

import json

import pytest

from assets.language import keyword_hits, trading_concepts
from reelquant.speech.transcript import Transcript, fill_word_times, transcript_from_text
from reelquant.strategy.tearsheet import tear_sheet_html
from reelquant.text.cli import extract_file

SPANISH = "Compro cuando la media de nueve cruza por encima de la media de veintiuno."
ENGLISH = "I buy when the 9 EMA crosses above the 21 EMA. I sell when the 9 EMA crosses back below the 21 EMA."


def _spanish_lesson() -> Transcript:
    original = transcript_from_text(SPANISH)
    translation = transcript_from_text(ENGLISH).segments
    return Transcript(segments=original.segments, engine="faster_whisper", language="es",
                      language_probability=0.93, translation=translation, duration_s=original.duration_s)


def test_english_view_is_the_translation_and_round_trips() -> None:
    tr = _spanish_lesson()
    english = tr.english()
    assert english.text == ENGLISH and english.language == "en" and "translated from es" in english.reason
    assert tr.text == SPANISH  # the original is untouched: search and subtitles keep it
    back = Transcript.from_dict(json.loads(json.dumps(tr.to_dict())))
    assert back.translation[0].words[0].text == "I" and back.language_probability == 0.93
    assert back.english().text == ENGLISH


def test_english_lesson_reads_itself() -> None:
    tr = transcript_from_text(ENGLISH)
    assert tr.english() is tr
    # A foreign lesson whose translation is missing is read as it is, not silently emptied.
    foreign = Transcript(segments=tr.segments, engine="x", language="de")
    assert foreign.english() is foreign


def test_rules_and_keywords_come_from_the_translation() -> None:
    data = _spanish_lesson().to_dict()
    hits = keyword_hits(data).value
    assert "EMA" in " ".join(hits["surface"]).upper()
    reading = trading_concepts(data, hits).value
    assert reading["rules"], "the English translation holds an entry rule"
    # Without the translation the same Spanish words give no rule: it is the translation that was read.
    plain = {**data, "translation": []}
    assert not trading_concepts(plain, keyword_hits(plain).value).value["rules"]


def test_extract_cli_reads_a_transcript_json_through_its_translation(tmp_path) -> None:
    path = tmp_path / "lesson.json"
    path.write_text(json.dumps(_spanish_lesson().to_dict()), encoding="utf-8")
    specs = extract_file(path)
    assert any(s.testable for s in specs)


def test_tear_sheet_names_the_language() -> None:
    record = {"video_id": "v1", "name": "lección", "engine": "faster_whisper", "language": "es", "translated": True,
              "words": 12, "setups": [], "promoted": False, "reasons": ["no setup"], "specs": [],
              "record_version": 2, "evidence": [], "clips": []}
    html = tear_sheet_html(record)
    assert "spoken in es (rules read from its English translation)" in html


@pytest.mark.parametrize(("times", "expected"), [
    # Two numbers the aligner could not place sit between "the" (ends 1.0) and "EMA" (starts 2.0).
    ([(0.5, 1.0), None, None, (2.0, 2.4)], [(0.5, 1.0), (1.0, 1.5), (1.5, 2.0), (2.0, 2.4)]),
    # Untimed words at the edges use the segment's start and end.
    ([None, (1.0, 1.5), None], [(0.0, 1.0), (1.0, 1.5), (1.5, 3.0)]),
    ([None, None], [(0.0, 1.5), (1.5, 3.0)]),
])
def test_fill_word_times_places_untimed_words_between_neighbours(times, expected) -> None:
    flat = [t for pair in fill_word_times(times, 0.0, 3.0) for t in pair]
    assert flat == pytest.approx([t for pair in expected for t in pair])


def test_fill_word_times_never_goes_backwards() -> None:
    # A neighbour that starts before the previous one ended does not give a negative span.
    out = fill_word_times([(0.0, 2.0), None, (1.5, 2.5)], 0.0, 3.0)
    assert out[1][0] <= out[1][1] and out[1][0] >= out[0][1] - 1e-9
