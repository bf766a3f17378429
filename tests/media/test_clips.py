from pathlib import Path

import av
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from reelquant.media.clips import highlight_windows, render_clips
from reelquant.media.probe import probe_video
from reelquant.speech.subtitles import parse_srt
from reelquant.speech.transcript import Segment, Transcript

# Segments with gaps so that snapping, padding and merging are visible.
SEGMENTS = [(0.0, 4.0), (5.0, 9.0), (10.0, 15.0), (20.0, 24.0), (30.0, 36.0), (40.0, 44.0), (50.0, 58.0)]


def _transcript() -> Transcript:
    segs = [Segment(id=i, start=s, end=e, text=f"sentence {i}") for i, (s, e) in enumerate(SEGMENTS)]
    return Transcript(segments=segs, engine="test", duration_s=60.0)


def _hits(times: list[float], ids: list[str] | None = None) -> pd.DataFrame:
    ids = ids or ["rsi"] * len(times)
    return pd.DataFrame({
        "term": ids, "canonical_id": ids, "category": "indicator", "surface": ids,
        "start_s": times, "end_s": [t + 0.4 for t in times], "segment_id": 0,
    })


def test_rule_window_snaps_to_segments_and_pads() -> None:
    prov = [{"part": "entry[0]", "start_s": 11.0, "end_s": 12.0, "text": "..."}]
    windows = highlight_windows(None, _transcript(), prov, duration_s=60.0, pad_s=1.0)
    assert windows == [{"start_s": 9.0, "end_s": 16.0, "reason": "rule entry[0]", "text": "sentence 2",
                        "start_cut": "word-gap", "end_cut": "word-gap"}]


def test_windows_clamp_to_the_video() -> None:
    prov = [{"part": "entry[0]", "start_s": 0.5, "end_s": 1.0, "text": ""},
            {"part": "exit[0]", "start_s": 55.0, "end_s": 57.0, "text": ""}]
    windows = highlight_windows(None, _transcript(), prov, duration_s=58.5, pad_s=2.0)
    # The first window ends in the middle of the 1 s pause after its sentence, not 1 s into the next.
    assert [(w["start_s"], w["end_s"]) for w in windows] == [(0.0, 4.5), (48.0, 58.5)]


def test_overlapping_windows_merge_with_both_reasons() -> None:
    prov = [{"part": "entry[0]", "start_s": 6.0, "end_s": 7.0, "text": ""},
            {"part": "exit[0]", "start_s": 11.0, "end_s": 12.0, "text": ""}]
    windows = highlight_windows(None, _transcript(), prov, duration_s=60.0, pad_s=1.0)
    assert len(windows) == 1
    assert (windows[0]["start_s"], windows[0]["end_s"]) == (4.0, 16.0)
    assert windows[0]["reason"] == "rule entry[0]; rule exit[0]"
    assert windows[0]["text"] == "sentence 1 sentence 2"


def test_densest_keyword_window_comes_first() -> None:
    hits = _hits([1.0, 31.0, 32.0, 33.5, 35.0, 51.0], ["sma", "rsi", "rsi", "stop_loss", "rsi", "ema"])
    windows = highlight_windows(hits, _transcript(), None, duration_s=60.0, max_clips=1, pad_s=0.5,
                                window_s=5.0)
    assert len(windows) == 1
    assert (windows[0]["start_s"], windows[0]["end_s"]) == (29.5, 36.5)
    assert windows[0]["reason"].startswith("4 trading terms: rsi, stop_loss")


def test_rules_take_priority_over_keywords_and_max_clips_holds() -> None:
    hits = _hits([1.0, 21.0, 31.0, 41.0, 51.0])
    prov = [{"part": "entry[0]", "start_s": 52.0, "end_s": 53.0, "text": ""}]
    windows = highlight_windows(hits, _transcript(), prov, duration_s=60.0, max_clips=3, pad_s=0.0,
                                window_s=1.0)
    assert len(windows) == 3
    assert any(w["reason"].startswith("rule entry[0]") for w in windows)
    assert [w["start_s"] for w in windows] == sorted(w["start_s"] for w in windows)


def test_no_hits_and_no_rules_give_no_windows() -> None:
    assert highlight_windows(_hits([])[:0], _transcript(), None, duration_s=60.0) == []


def _frame_at(path: Path, t: float) -> np.ndarray:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        container.seek(int(max(t - 1.0, 0) / stream.time_base), stream=stream)
        for frame in container.decode(stream):
            if frame.time >= t - 1e-3:
                return frame.to_ndarray(format="rgb24").astype(float)
    raise AssertionError(f"no frame at {t}s in {path}")


def test_render_one_clip_with_burned_subtitles(lesson: dict, tmp_path: Path) -> None:
    transcript = Transcript(segments=parse_srt(lesson["srt"].read_text()), engine="sidecar")
    second = transcript.segments[1]
    windows = highlight_windows(None, transcript, [{"part": "entry[0]", "start_s": second.start + 0.5,
                                                    "end_s": second.end - 0.5, "text": ""}],
                                duration_s=probe_video(lesson["video"]).duration_s, pad_s=0.2)
    clips = render_clips(lesson["video"], windows, transcript, tmp_path / "clips")
    assert len(clips) == 1
    clip = clips[0]
    assert set(clip) == {"start_s", "end_s", "reason", "path", "thumbnail", "text"}
    probe = probe_video(clip["path"])
    assert probe.has_video and probe.has_audio and probe.video_codec == "h264" and probe.audio_codec == "aac"
    assert probe.duration_s == pytest.approx(clip["end_s"] - clip["start_s"], abs=0.3)
    assert probe.size_bytes < 500_000
    assert Image.open(clip["thumbnail"]).width <= 320
    assert "crosses above the slow average" in clip["text"]

    mid = (clip["end_s"] - clip["start_s"]) / 2
    cut = _frame_at(Path(clip["path"]), mid)
    source = _frame_at(lesson["video"], clip["start_s"] + mid)
    bottom = slice(int(cut.shape[0] * 0.75), int(cut.shape[0] * 0.95))
    # The caption box sits at the bottom; the slide's title bar at the top is untouched.
    assert np.abs(cut[bottom] - source[bottom]).mean() > 10.0
    assert np.abs(cut[:40] - source[:40]).mean() < 8.0


def test_several_clips_from_one_video_all_have_sound(lesson: dict, tmp_path: Path) -> None:
    transcript = Transcript(segments=parse_srt(lesson["srt"].read_text()), engine="sidecar")
    windows = [{"start_s": s.start, "end_s": s.end, "reason": "test", "text": s.text}
               for s in transcript.segments[:3]]
    clips = render_clips(lesson["video"], windows, transcript, tmp_path / "clips")
    assert len(clips) == 3
    for clip in clips:
        probe = probe_video(clip["path"])
        assert probe.has_audio and probe.duration_s == pytest.approx(clip["end_s"] - clip["start_s"], abs=0.3)
