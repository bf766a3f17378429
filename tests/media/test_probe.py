import hashlib
from pathlib import Path

import pytest

from reelquant.media.probe import InvalidVideoError, probe_video, sha256_file
from reelquant.media.synth import write_video_without_audio

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def _one_sentence(message: str) -> bool:
    return message.endswith(".") and "\n" not in message and message.count("; ") <= 1


@pytest.mark.parametrize("name", ["ema_crossover_stop", "rsi_trend_pullback"])
def test_probe_sample_video(name: str) -> None:
    path = SAMPLES / f"{name}.mp4"
    probe = probe_video(path)
    assert probe.has_video and probe.has_audio
    assert (probe.video_codec, probe.audio_codec) == ("h264", "aac")
    assert (probe.width, probe.height, probe.fps) == (640, 360, 5.0)
    assert 20.0 < probe.duration_s < 90.0
    assert probe.audio_channels == 1 and probe.audio_sample_rate > 8000
    assert probe.size_bytes == path.stat().st_size
    assert probe.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert probe.to_dict()["sha256"] == probe.sha256


def test_sha256_is_streamed_in_chunks(tmp_path: Path) -> None:
    data = bytes(range(256)) * 1000
    path = tmp_path / "blob.bin"
    path.write_bytes(data)
    assert sha256_file(path, chunk_size=4096) == hashlib.sha256(data).hexdigest()


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidVideoError, match="does not exist") as err:
        probe_video(tmp_path / "nope.mp4")
    assert _one_sentence(str(err.value))


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.mp4"
    path.touch()
    with pytest.raises(InvalidVideoError, match="empty file") as err:
        probe_video(path)
    assert _one_sentence(str(err.value))


def test_text_renamed_to_mp4(tmp_path: Path) -> None:
    path = tmp_path / "notes.mp4"
    path.write_text("These are my lesson notes, not a video.\n" * 200)
    with pytest.raises(InvalidVideoError, match="not a readable media file") as err:
        probe_video(path)
    assert isinstance(err.value, ValueError)
    assert _one_sentence(str(err.value))


def test_video_without_audio(tmp_path: Path) -> None:
    path = write_video_without_audio(tmp_path / "mute.mp4", duration_s=1.0)
    with pytest.raises(InvalidVideoError, match="has no audio stream, so there is no speech to transcribe") as err:
        probe_video(path)
    assert str(err.value).endswith("drop a video with sound.")
    probe = probe_video(path, require_audio=False)
    assert probe.has_video and not probe.has_audio and probe.audio_codec is None
    assert probe.duration_s == pytest.approx(1.0, abs=0.25)


def test_truncated_download(tmp_path: Path) -> None:
    path = tmp_path / "half.mp4"
    path.write_bytes((SAMPLES / "ema_crossover_stop.mp4").read_bytes()[:60_000])
    with pytest.raises(InvalidVideoError, match="not a readable media file") as err:
        probe_video(path)
    assert _one_sentence(str(err.value))
