from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from reelquant.media.keyframes import extract_keyframes
from reelquant.media.probe import probe_video
from reelquant.media.synth import write_video_without_audio


def test_keyframes_every_interval(lesson: dict, tmp_path: Path) -> None:
    duration = probe_video(lesson["video"]).duration_s
    frames = extract_keyframes(lesson["video"], tmp_path / "kf", every_s=3.0)
    times = [f["t"] for f in frames]
    assert times[0] == 0.0
    assert len(frames) == int(duration // 3.0) + 1
    assert all(t == pytest.approx(3.0 * i, abs=0.21) for i, t in enumerate(times))
    first, last = (np.asarray(Image.open(frames[i]["path"]).convert("L"), dtype=float) for i in (0, -1))
    assert first.shape == (360, 640)
    # Slides change with the sentences, so the first and last frames must differ.
    assert np.abs(first - last).mean() > 1.0


def test_keyframes_are_scaled_down(tmp_path: Path) -> None:
    video = write_video_without_audio(tmp_path / "big.mp4", duration_s=1.0, size=(1280, 720))
    frames = extract_keyframes(video, tmp_path / "kf", every_s=5.0)
    assert len(frames) == 1
    assert Image.open(frames[0]["path"]).size == (640, 360)


def test_keyframes_reject_bad_interval(lesson: dict, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="every_s must be positive"):
        extract_keyframes(lesson["video"], tmp_path, every_s=0)
