"""Where highlight clips are cut: in the silence next to their sentences, never into a neighbour's words."""

from __future__ import annotations

import subprocess
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest

from reelquant.media.audio import extract_audio, silences_from_regions
from reelquant.media.clips import highlight_windows, render_clips
from reelquant.media.probe import probe_video
from reelquant.media.synth import make_lesson_video
from reelquant.speech.subtitles import parse_srt
from reelquant.speech.transcript import Segment, Transcript, Word

# Sentences with pauses between them: 4-5, 9-10, 15-20, 24-30, 36-40.
SEGMENTS = [(0.0, 4.0), (5.0, 9.0), (10.0, 15.0), (20.0, 24.0), (30.0, 36.0), (40.0, 44.0)]


def _transcript(spans: list[tuple[float, float]] = SEGMENTS) -> Transcript:
    segs = [Segment(id=i, start=s, end=e, text=f"sentence {i}") for i, (s, e) in enumerate(spans)]
    return Transcript(segments=segs, engine="test", duration_s=50.0)


def _rule(start_s: float, end_s: float, part: str = "entry[0]") -> dict:
    return {"part": part, "start_s": start_s, "end_s": end_s, "text": ""}


def _cuts(windows: list[dict]) -> list[tuple[float, float, str, str]]:
    return [(w["start_s"], w["end_s"], w["start_cut"], w["end_cut"]) for w in windows]


def test_silences_are_the_gaps_between_speech_regions() -> None:
    regions = [(0.4, 2.0), (1.8, 3.0), (3.1, 5.0), (7.0, 9.5)]
    assert silences_from_regions(regions, 10.0) == [(0.0, 0.4), (3.0, 3.1), (5.0, 7.0), (9.5, 10.0)]
    assert silences_from_regions(regions, 10.0, min_s=0.3) == [(0.0, 0.4), (5.0, 7.0), (9.5, 10.0)]
    assert silences_from_regions([], 4.0) == [(0.0, 4.0)]
    assert silences_from_regions([(0.0, 4.0)], 4.0) == []


@pytest.mark.parametrize(
    ("silences", "expected"),
    [
        # Shorter than the padding on both sides: cut in the middle of each silence.
        ([(9.2, 9.8), (15.1, 15.5)], (9.5, 15.3, "silence", "silence")),
        # Longer than the padding: the full padding, no further.
        ([(4.2, 9.9), (15.1, 19.8)], (9.0, 16.0, "silence", "silence")),
        # The transcript's sentence starts inside the silence: cut between its start and the sentence.
        ([(9.6, 10.4), (15.0, 15.2)], (9.8, 15.1, "silence", "silence")),
    ],
)
def test_boundaries_land_in_the_silence_next_to_the_sentence(
    silences: list[tuple[float, float]], expected: tuple
) -> None:
    windows = highlight_windows(None, _transcript(), [_rule(11.0, 12.0)], duration_s=50.0, pad_s=1.0,
                                silences=silences)
    assert _cuts(windows) == [expected]
    assert windows[0]["text"] == "sentence 2"


def test_a_silence_out_of_reach_falls_back_to_the_recognizers_pause() -> None:
    # Speech runs right up to the sentence (no silence within 1 s before it): the transcript's pause
    # between sentence 1 and 2 is all there is. After the sentence the audio is quiet.
    windows = highlight_windows(None, _transcript(), [_rule(11.0, 12.0)], duration_s=50.0, pad_s=1.0,
                                silences=[(3.0, 4.5), (15.2, 19.0)])
    assert _cuts(windows) == [(9.0, 16.0, "word-gap", "silence")]


def test_silences_reaching_the_ends_of_the_video_allow_the_full_padding() -> None:
    # The trailing silence stops 20 ms short of the video's end (the audio track is a bit shorter).
    windows = highlight_windows(None, _transcript([(0.3, 4.0), (5.0, 48.7)]), [_rule(1.0, 2.0)],
                                duration_s=50.0, pad_s=1.0, silences=[(0.0, 0.25), (4.3, 4.7), (48.8, 49.98)])
    assert _cuts(windows) == [(0.0, 4.5, "silence", "silence")]
    windows = highlight_windows(None, _transcript([(0.3, 4.0), (5.0, 49.7)]), [_rule(45.0, 46.0)],
                                duration_s=50.0, pad_s=1.0, silences=[(0.0, 0.25), (4.3, 4.7), (49.8, 49.98)])
    assert _cuts(windows) == [(4.5, 50.0, "silence", "silence")]


def test_without_silences_the_word_gaps_decide() -> None:
    # Whisper-like: segments touch, the words inside leave the pauses.
    segs = [
        Segment(0, 0.0, 5.0, "we buy", [Word("we", 0.2, 0.6), Word("buy", 0.7, 4.2)]),
        Segment(1, 5.0, 9.0, "when it crosses", [Word("when", 5.3, 5.8), Word("it", 5.9, 6.2),
                                                 Word("crosses", 6.3, 8.9)]),
        Segment(2, 9.0, 14.0, "and sell", [Word("and", 9.05, 9.4), Word("sell", 9.5, 13.0)]),
    ]
    tr = Transcript(segments=segs, engine="test", duration_s=20.0)
    windows = highlight_windows(None, tr, [_rule(6.0, 7.0)], duration_s=20.0, pad_s=1.0)
    # Both pauses (4.2-5.3 before "when", 8.9-9.05 after "crosses") are shorter than the padding:
    # cut in their middles, whatever the segment bounds say.
    assert _cuts(windows) == [(4.75, 8.975, "word-gap", "word-gap")]


def test_without_words_the_segment_gaps_decide_and_touching_segments_are_cut_where_they_meet() -> None:
    windows = highlight_windows(None, _transcript([(0.0, 5.0), (5.0, 9.0), (9.0, 14.0)]), [_rule(6.0, 7.0)],
                                duration_s=20.0, pad_s=1.0)
    assert _cuts(windows) == [(5.0, 9.0, "word-gap", "word-gap")]


def test_without_a_transcript_to_go_by_the_window_is_padded() -> None:
    empty = Transcript(segments=[], engine="none", duration_s=30.0)
    windows = highlight_windows(None, empty, [_rule(10.0, 12.0)], duration_s=30.0, pad_s=1.0)
    assert _cuts(windows) == [(9.0, 13.0, "padding", "padding")]


def test_windows_cut_in_the_same_silence_still_merge() -> None:
    prov = [_rule(6.0, 7.0), _rule(11.0, 12.0, "exit[0]"), _rule(41.0, 42.0, "exit[1]")]
    silences = [(4.2, 4.6), (9.2, 9.8), (15.1, 19.9), (36.1, 39.9), (44.1, 50.0)]
    windows = highlight_windows(None, _transcript(), prov, duration_s=50.0, pad_s=1.0, silences=silences,
                                max_clips=2)
    assert _cuts(windows) == [(4.4, 16.0, "silence", "silence"), (39.0, 45.0, "silence", "silence")]
    assert windows[0]["reason"] == "rule entry[0]; rule exit[0]"
    assert windows[0]["text"] == "sentence 1 sentence 2"


def test_max_clips_holds_with_silences() -> None:
    prov = [_rule(a + 0.5, a + 1.0, f"entry[{i}]") for i, (a, _) in enumerate(SEGMENTS) if i > 0]
    silences = silences_from_regions([(s - 0.1, e + 0.1) for s, e in SEGMENTS], 50.0)
    windows = highlight_windows(None, _transcript(), prov, duration_s=50.0, pad_s=1.0, silences=silences,
                                max_clips=2)
    # Sentences 1 and 2 share the pause between them and merge; sentence 3 is the second clip.
    assert _cuts(windows) == [(4.5, 16.0, "silence", "silence"), (19.0, 25.0, "silence", "silence")]
    assert all(w["start_cut"] == w["end_cut"] == "silence" for w in windows)


# --- a real lesson: cut, rendered, and listened to ---------------------------------------------

SCRIPT = (
    "Welcome back to the channel, today we trade moving averages. "
    "When the fast average crosses above the slow one, we buy the stock. "
    "Many traders wait for the close of the day before they act. "
    "We place a stop loss three percent below the entry price. "
    "Take profit when the fast average falls back below the slow one."
)
EDGE_S = 0.08


@pytest.fixture(scope="module")
def five_sentences(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("cuts")
    srt = root / "lesson.srt"
    video = make_lesson_video(SCRIPT, root / "lesson.mp4", "Cuts", subtitles_out=srt)
    info = extract_audio(video, root / "audio.wav")
    transcript = Transcript(segments=parse_srt(srt.read_text()), engine="sidecar")
    assert len(transcript.segments) == 5
    return {"video": video, "transcript": transcript, "audio": info,
            "silences": silences_from_regions(info.regions, info.duration_s)}


def _clip_pcm(clip: Path) -> np.ndarray:
    raw = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(clip), "-vn", "-ac", "1", "-ar", "16000",
         "-f", "s16le", "-"],
        capture_output=True, check=True,
    ).stdout
    return np.frombuffer(raw, dtype="<i2").astype(np.float64) / 32768.0


def _edge_loudness(pcm: np.ndarray, rate: int = 16000) -> tuple[float, float]:
    """RMS of the first and last 80 ms, each relative to the RMS of the clip's speech."""
    n = int(EDGE_S * rate)
    frames = pcm[: len(pcm) // n * n].reshape(-1, n)
    speech = float(np.percentile(np.sqrt(np.mean(frames**2, axis=1)), 90))
    rms = lambda x: float(np.sqrt(np.mean(x**2)))  # noqa: E731
    return rms(pcm[:n]) / speech, rms(pcm[-n:]) / speech


def test_clips_of_a_real_lesson_begin_and_end_in_silence(five_sentences: dict, tmp_path: Path) -> None:
    tr = five_sentences["transcript"]
    prov = [_rule(tr.segments[i].start + 0.5, tr.segments[i].end - 0.5, f"entry[{i}]") for i in (1, 3)]
    windows = highlight_windows(None, tr, prov, duration_s=probe_video(five_sentences["video"]).duration_s,
                                pad_s=1.0, silences=five_sentences["silences"])
    assert len(windows) == 2
    assert all(w["start_cut"] == w["end_cut"] == "silence" for w in windows)
    clips = render_clips(five_sentences["video"], windows, tr, tmp_path / "clips")
    assert len(clips) == 2
    for clip, i in zip(clips, (1, 3), strict=True):
        # The whole sentence is in, and none of its neighbours.
        assert clip["start_s"] < tr.segments[i].start and clip["end_s"] > tr.segments[i].end
        assert clip["start_s"] > tr.segments[i - 1].end and clip["end_s"] < tr.segments[i + 1].start
        head, tail = _edge_loudness(_clip_pcm(Path(clip["path"])))
        assert head < 0.1 and tail < 0.1, (clip, head, tail)


def test_the_quiet_edge_check_catches_a_cut_mid_word(five_sentences: dict, tmp_path: Path) -> None:
    tr = five_sentences["transcript"]
    info = five_sentences["audio"]
    pcm = _clip_pcm(Path(info.path))
    n = int(EDGE_S * 16000)
    seg = tr.segments[2]
    # The loudest 80 ms of the first and of the second half of a sentence: surely inside words.
    first = np.arange(int(seg.start * 16000), int((seg.start + seg.end) / 2 * 16000) - n, n // 4)
    second = np.arange(int((seg.start + seg.end) / 2 * 16000), int(seg.end * 16000) - n, n // 4)
    loud = lambda starts: int(max(starts, key=lambda k: float(np.mean(pcm[k:k + n] ** 2))))  # noqa: E731
    start, end = loud(first) / 16000, (loud(second) + n) / 16000
    clips = render_clips(five_sentences["video"], [{"start_s": start, "end_s": end, "reason": "mid-word"}], tr,
                         tmp_path / "clips")
    head, tail = _edge_loudness(_clip_pcm(Path(clips[0]["path"])))
    assert head > 0.1 and tail > 0.1, (head, tail)


def test_neighbouring_rules_do_not_merge_past_the_longest_clip() -> None:
    # Six sentences of 9 s with 1 s pauses; a rule in each of sentences 1, 2, 3 and 4.
    segments = [Segment(id=i, start=10.0 * i, end=10.0 * i + 9.0, text=f"sentence {i}") for i in range(6)]
    tr = Transcript(segments=segments, engine="sidecar", model="srt", duration_s=60.0)
    silences = [(10.0 * i + 9.0, 10.0 * i + 10.0) for i in range(6)]
    prov = [{"part": f"entry[{i}]", "start_s": 10.0 * i + 1.0, "end_s": 10.0 * i + 8.0} for i in (1, 2, 3, 4)]
    merged_all = highlight_windows(None, tr, prov, duration_s=60.0, silences=silences, max_clip_s=1000.0)
    assert len(merged_all) == 1 and merged_all[0]["end_s"] - merged_all[0]["start_s"] > 40
    capped = highlight_windows(None, tr, prov, duration_s=60.0, silences=silences, max_clip_s=25.0)
    assert len(capped) == 2
    assert all(w["end_s"] - w["start_s"] <= 25.0 for w in capped)
    # Neighbours meet inside the pause between their sentences, never inside speech, and every rule is shown.
    assert capped[0]["end_s"] == capped[1]["start_s"]
    assert any(a <= capped[0]["end_s"] <= z for a, z in silences)
    shown = "; ".join(w["reason"] for w in capped)
    assert all(f"rule entry[{i}]" in shown for i in (1, 2, 3, 4))
