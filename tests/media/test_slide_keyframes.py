"""Scene-change keyframes on synthesized slide videos: one frame per slide, repeats dropped, periodic fallback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image, ImageDraw

from reelquant.media.keyframes import extract_slide_keyframes
from reelquant.media.synth import make_lesson_video
from reelquant.speech.subtitles import parse_subtitle_file

SCRIPT = (
    "Today we trade the breakout of a price channel. "
    "Buy when the close rises above the highest high of the last twenty days. "
    "Sell when the close falls below the lowest low of the last ten days. "
    "Risk one percent of the account on every trade."
)


def _write(out: Path, frame_at: Callable[[float], Image.Image], seconds: float, fps: int = 5) -> Path:
    with av.open(str(out), "w") as c:
        s = c.add_stream("libx264", rate=fps)
        s.width, s.height, s.pix_fmt = 320, 180, "yuv420p"
        for k in range(int(seconds * fps)):
            for p in s.encode(av.VideoFrame.from_image(frame_at(k / fps))):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    return out


def _slide(text: str) -> Image.Image:
    img = Image.new("RGB", (320, 180), (250, 250, 245))
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, 320, 30), fill=(20, 40, 90))
    for i, line in enumerate(text.split("|")):
        draw.text((12, 50 + 22 * i), line, fill=(10, 10, 10))
    return img


def test_one_keyframe_per_slide_at_its_start(tmp_path: Path) -> None:
    srt = tmp_path / "l.srt"
    video = make_lesson_video(SCRIPT, tmp_path / "l.mp4", "Channel breakout", subtitles_out=srt)
    starts = [0.0] + [s.start for s in parse_subtitle_file(srt)][1:]
    frames = extract_slide_keyframes(video, tmp_path / "kf", analysis_fps=2.0)
    assert [f["reason"] for f in frames] == ["first"] + ["scene_change"] * (len(starts) - 1)
    # Each change is found within one analysis step (plus one video frame) after the slide appears.
    for f, start in zip(frames, starts, strict=True):
        assert start - 0.21 <= f["t"] <= start + 0.5 + 0.21
        assert Path(f["path"]).is_file()
    assert all(f["changed"] > 0.005 for f in frames[1:])


def test_a_slide_shown_again_is_dropped(tmp_path: Path) -> None:
    a, b, c = _slide("Entry|close > highest high (20)"), _slide("Exit|close < lowest low (10)"), _slide("Risk|1 %")
    order = [a, b, a, c]
    video = _write(tmp_path / "v.mp4", lambda t: order[min(int(t // 3), 3)], 12.0)
    frames = extract_slide_keyframes(video, tmp_path / "kf")
    assert [round(f["t"]) for f in frames] == [0, 3, 9]
    assert len(list((tmp_path / "kf").glob("*.png"))) == 3


def test_static_video_gives_one_frame_and_slow_drift_gives_periodic_ones(tmp_path: Path) -> None:
    still = _write(tmp_path / "still.mp4", lambda t: _slide("Only slide"), 20.0)
    assert len(extract_slide_keyframes(still, tmp_path / "k1", fallback_every_s=5.0)) == 1

    def drift(t: float) -> Image.Image:
        # A gradient sliding slowly: no frame-to-frame change crosses the threshold, the whole picture does.
        x = np.arange(320)[None, :] + 2.0 * t
        row = (127 + 120 * np.sin(x / 25.0)).astype(np.uint8)
        return Image.fromarray(np.repeat(np.repeat(row, 180, 0)[:, :, None], 3, 2))

    moving = _write(tmp_path / "drift.mp4", drift, 20.0)
    frames = extract_slide_keyframes(moving, tmp_path / "k2", fallback_every_s=5.0)
    assert [f["reason"] for f in frames][:1] == ["first"]
    assert [f["reason"] for f in frames[1:]] == ["periodic"] * (len(frames) - 1)
    assert len(frames) == 4
    gaps = np.diff([f["t"] for f in frames])
    assert np.all(gaps >= 5.0) and np.all(gaps <= 5.7)


def test_bad_thresholds_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="must be positive"):
        extract_slide_keyframes(tmp_path / "x.mp4", tmp_path, change=0)
