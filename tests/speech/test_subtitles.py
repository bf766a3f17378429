from pathlib import Path

import pytest

from reelquant.speech.subtitles import (
    SubtitleError,
    find_sidecar,
    parse_srt,
    parse_subtitle_file,
    parse_vtt,
    to_srt,
    to_vtt,
)
from reelquant.speech.transcript import Segment, Transcript, Word

SRT = (
    "\ufeff1\r\n00:00:01,500 --> 00:00:04,000\r\nBuy when the <i>RSI</i>\r\ndrops below thirty.\r\n\r\n"
    "2\r\n01:00:05,000 --> 01:00:06,250\r\nSell above seventy.\r\n"
)

VTT = """WEBVTT
Kind: captions
Language: en

NOTE this block is a comment

STYLE
::cue { color: yellow }

intro
00:01.000 --> 00:03.000 align:start position:10%
Welcome <c.yellow>back</c>

00:00:03.000 --> 00:00:05.000
Welcome back
to the <00:00:04.000><c>lesson</c>
"""


def test_parse_srt_times_tags_and_lines() -> None:
    segs = parse_srt(SRT)
    assert [(s.start, s.end) for s in segs] == [(1.5, 4.0), (3605.0, 3606.25)]
    assert segs[0].text == "Buy when the RSI drops below thirty."
    assert [s.id for s in segs] == [0, 1]


def test_sidecar_words_are_spread_evenly() -> None:
    seg = parse_srt(SRT)[0]
    assert [w.text for w in seg.words] == seg.text.split()
    assert seg.words[0].start == seg.start and seg.words[-1].end == seg.end
    lengths = {round(w.end - w.start, 2) for w in seg.words}
    assert lengths == {round((seg.end - seg.start) / len(seg.words), 2)}
    assert all(a.end == b.start for a, b in zip(seg.words, seg.words[1:], strict=False))


def test_parse_vtt_skips_header_notes_styles_and_rolling_repeats() -> None:
    segs = parse_vtt(VTT)
    assert [(s.start, s.end, s.text) for s in segs] == [
        (1.0, 3.0, "Welcome back"),
        (3.0, 5.0, "to the lesson"),
    ]


def _transcript() -> Transcript:
    segs = [
        Segment(id=0, start=0.25, end=2.5, text="When the fast average crosses the slow one,",
                words=[Word("When", 0.25, 0.5)]),
        Segment(id=1, start=61.004, end=3725.5, text="we buy."),
    ]
    return Transcript(segments=segs, engine="test")


def test_srt_round_trip() -> None:
    text = to_srt(_transcript())
    assert "00:01:01,004 --> 01:02:05,500" in text
    back = parse_srt(text)
    assert [(s.start, s.end, s.text) for s in back] == [(s.start, s.end, s.text) for s in _transcript().segments]


def test_vtt_round_trip() -> None:
    text = to_vtt(_transcript())
    assert text.startswith("WEBVTT\n\n")
    back = parse_vtt(text)
    assert [(s.start, s.end, s.text) for s in back] == [(s.start, s.end, s.text) for s in _transcript().segments]


def test_text_without_cues_is_an_error() -> None:
    with pytest.raises(SubtitleError, match="holds no timed cues") as err:
        parse_srt("this is not a subtitle file\n")
    assert isinstance(err.value, ValueError)


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ([], None),
        (["lesson.en.vtt"], "lesson.en.vtt"),
        (["lesson.en.srt", "lesson.vtt"], "lesson.vtt"),
        (["lesson.srt", "lesson.en.vtt"], "lesson.srt"),
        (["other.srt", "lesson.fr.srt"], None),
    ],
)
def test_find_sidecar(tmp_path: Path, files: list[str], expected: str | None) -> None:
    video = tmp_path / "lesson.mp4"
    video.write_bytes(b"\0")
    for name in files:
        (tmp_path / name).write_text(SRT)
    found = find_sidecar(video)
    assert (found.name if found else None) == expected


def test_empty_sidecar_is_ignored_and_vtt_is_read_by_content(tmp_path: Path) -> None:
    video = tmp_path / "lesson.mp4"
    (tmp_path / "lesson.srt").write_text("")
    (tmp_path / "lesson.en.srt").write_text(VTT)
    found = find_sidecar(video)
    assert found is not None and found.name == "lesson.en.srt"
    assert parse_subtitle_file(found)[0].text == "Welcome back"
