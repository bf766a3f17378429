import wave
from pathlib import Path

import numpy as np
import pytest

from reelquant.media.audio import extract_audio, read_wav_info, speech_regions
from reelquant.media.probe import InvalidVideoError, probe_video
from reelquant.media.synth import write_silent_video, write_video_without_audio


def test_extract_audio_is_16k_mono_and_as_long_as_the_video(lesson: dict, tmp_path: Path) -> None:
    info = extract_audio(lesson["video"], tmp_path / "a.wav")
    with wave.open(info.path, "rb") as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (16000, 1, 2)
        assert w.getnframes() / 16000 == pytest.approx(info.duration_s, abs=1e-3)
    assert info.duration_s == pytest.approx(probe_video(lesson["video"]).duration_s, abs=0.1)
    assert 0.5 < info.speech_ratio < 1.0
    assert info.to_dict()["regions"] == info.regions


def test_extract_audio_downmixes_and_resamples_any_wav(tmp_path: Path) -> None:
    rate, seconds = 44100, 1.5
    t = np.arange(int(rate * seconds)) / rate
    tone = (0.3 * 32767 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
    src = tmp_path / "stereo.wav"
    with wave.open(str(src), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.column_stack([tone, tone]).tobytes())
    info = extract_audio(src, tmp_path / "mono.wav", sample_rate=16000)
    assert read_wav_info(info.path)[:2] == (16000, 1)
    assert info.duration_s == pytest.approx(seconds, abs=0.05)


def test_speech_regions_split_at_the_silence_gap(speech_with_gap: dict) -> None:
    regions = speech_regions(speech_with_gap["wav"])
    gap_start, gap_end = speech_with_gap["gap"]
    assert len(regions) >= 2
    assert all(not (s < gap_end - 0.3 and e > gap_start + 0.3) for s, e in regions), regions
    before = [r for r in regions if r[1] <= gap_start + 0.3]
    after = [r for r in regions if r[0] >= gap_end - 0.3]
    assert before and after
    assert before[-1][1] == pytest.approx(gap_start, abs=0.5)
    assert after[0][0] == pytest.approx(gap_end, abs=0.5)
    spoken = sum(e - s for s, e in regions)
    assert spoken > 0.6 * (speech_with_gap["duration"] - 2.0)
    assert all(0.0 <= s < e <= speech_with_gap["duration"] + 1e-6 for s, e in regions)


def test_silent_video_has_no_speech(tmp_path: Path) -> None:
    video = write_silent_video(tmp_path / "silent.mp4", duration_s=2.0)
    info = extract_audio(video, tmp_path / "silent.wav")
    assert info.regions == [] and info.speech_ratio == 0.0
    assert info.duration_s == pytest.approx(2.0, abs=0.1)


def test_extract_audio_refuses_video_without_sound(tmp_path: Path) -> None:
    video = write_video_without_audio(tmp_path / "mute.mp4", duration_s=1.0)
    with pytest.raises(InvalidVideoError, match="no audio stream"):
        extract_audio(video, tmp_path / "mute.wav")
