import math
import wave
from pathlib import Path

import numpy as np
import pytest

from reelquant.media.background import (
    BACKGROUNDS,
    BackgroundError,
    active_level_db,
    make_background,
    mix_background,
)
from reelquant.media.synth import synthesize_speech


def _read(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as w:
        assert (w.getsampwidth(), w.getnchannels()) == (2, 1)
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64), w.getframerate()


def _write(path: Path, pcm: np.ndarray, rate: int, channels: int = 1) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.asarray(pcm).astype("<i2").tobytes())
    return path


def _bursts(rate: int, amplitude: float, pause_s: float) -> np.ndarray:
    """Three 1 s tone bursts (a whole number of 20 ms frames each) with `pause_s` of digital silence between."""
    t = np.arange(rate) / rate
    tone = amplitude * 32767 * np.sin(2 * np.pi * 300 * t)
    gap = np.zeros(int(round(pause_s / 0.02)) * int(0.02 * rate))
    return np.concatenate([gap, tone, gap, tone, gap, tone, gap])


def _snr_in(mix_path: Path, speech: np.ndarray, gain: float, rate: int) -> float:
    """The ratio actually in the file: active level of the speech as mixed over the power of what is not speech."""
    mixed, mixed_rate = _read(mix_path)
    assert mixed_rate == rate and mixed.size == speech.size
    rest = mixed - gain * speech
    return active_level_db(gain * speech, rate) - 10 * math.log10(np.mean((rest / 32768.0) ** 2))


@pytest.fixture(scope="module")
def festival(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray, int]:
    root = tmp_path_factory.mktemp("background")
    wav = synthesize_speech("Buy when the nine EMA crosses above the twenty one EMA. "
                            "Sell when the price closes under the 200-day average.", root / "speech.wav")
    pcm, rate = _read(wav)
    return wav, pcm, rate


def test_active_level_is_the_level_of_the_speech_not_of_the_pauses() -> None:
    rate = 16000
    expected = 10 * math.log10(0.5**2 / 2)  # a sine of amplitude 0.5 full scale
    for pause_s in (0.2, 1.0, 5.0):
        assert active_level_db(_bursts(rate, 0.5, pause_s), rate) == pytest.approx(expected, abs=0.05)
    assert active_level_db(np.zeros(rate), rate) == -math.inf


@pytest.mark.parametrize("kind", ["music", "noise"])
@pytest.mark.parametrize("snr_db", [10.0, 0.0])
def test_mixed_snr_is_the_target(festival: tuple[Path, np.ndarray, int], kind: str, snr_db: float,
                                 tmp_path: Path) -> None:
    wav, speech, rate = festival
    mix = mix_background(wav, tmp_path / "mix.wav", kind, snr_db=snr_db)
    assert mix.gain == 1.0
    assert _snr_in(mix.path, speech, mix.gain, rate) == pytest.approx(snr_db, abs=0.5)


def test_snr_is_measured_over_the_speech_however_long_the_pauses(tmp_path: Path) -> None:
    rate = 16000
    for pause_s in (0.2, 4.0):
        speech = _bursts(rate, 0.3, pause_s)
        mix = mix_background(_write(tmp_path / "tones.wav", speech, rate), tmp_path / "mix.wav", "noise")
        assert _snr_in(mix.path, speech, mix.gain, rate) == pytest.approx(10.0, abs=0.5)


def test_loud_speech_is_turned_down_with_its_background_not_clipped(tmp_path: Path) -> None:
    rate = 16000
    speech = _bursts(rate, 0.99, 0.5)
    mix = mix_background(_write(tmp_path / "loud.wav", speech, rate), tmp_path / "mix.wav", "noise", snr_db=3.0)
    mixed, _ = _read(mix.path)
    assert mix.gain < 1.0
    assert np.max(np.abs(mixed)) < 32767
    assert _snr_in(mix.path, speech, mix.gain, rate) == pytest.approx(3.0, abs=0.5)


def test_mix_keeps_the_sample_rate_of_the_speech(tmp_path: Path) -> None:
    for rate in (22050, 16000):
        speech = _bursts(rate, 0.3, 0.4)[: rate * 3]
        for kind in BACKGROUNDS:
            mix = mix_background(_write(tmp_path / "s.wav", speech, rate), tmp_path / f"{kind}.wav", kind)
            mixed, mixed_rate = _read(mix.path)
            assert (mixed_rate, mixed.size) == (rate, speech.size)


def test_none_leaves_the_speech_as_it_is(festival: tuple[Path, np.ndarray, int], tmp_path: Path) -> None:
    wav, speech, _ = festival
    mix = mix_background(wav, tmp_path / "same.wav", "none")
    assert np.array_equal(_read(mix.path)[0], speech)
    assert mix.snr_db == math.inf


def _flatness(pcm: np.ndarray) -> float:
    """Spectral flatness (geometric over arithmetic mean of the power spectrum) below 4 kHz: ~1 noise, ~0 tones."""
    spectrum = np.abs(np.fft.rfft(pcm * np.hanning(pcm.size))) ** 2 + 1e-12
    band = spectrum[: spectrum.size // 2]
    return float(np.exp(np.mean(np.log(band))) / np.mean(band))


def test_music_is_tonal_with_beats_and_noise_is_not(tmp_path: Path) -> None:
    rate = 16000
    music, _ = _read(make_background("music", 8 * rate, rate, tmp_path / "music.wav"))
    noise, _ = _read(make_background("noise", 8 * rate, rate, tmp_path / "noise.wav"))
    assert _flatness(music) < 0.03
    assert _flatness(noise) > 0.1
    # A plucked chord on every half-second beat: the level rises at each beat and decays after it.
    frames = (music[: 8 * rate].reshape(-1, rate // 50) ** 2).mean(axis=1)  # 20 ms frames
    per_beat = frames.reshape(-1, 25)  # 25 frames a beat
    assert np.all(per_beat[:, :5].mean(axis=1) > 2 * per_beat[:, -5:].mean(axis=1))


def test_same_input_same_mix(festival: tuple[Path, np.ndarray, int], tmp_path: Path) -> None:
    wav, _, _ = festival
    a = mix_background(wav, tmp_path / "a.wav", "music")
    b = mix_background(wav, tmp_path / "b.wav", "music")
    assert a.path.read_bytes() == b.path.read_bytes()


def test_bad_inputs_get_one_clear_sentence(festival: tuple[Path, np.ndarray, int], tmp_path: Path) -> None:
    wav, _, rate = festival
    with pytest.raises(ValueError, match=r"^unknown background 'rain'; use one of none, music, noise\.$"):
        mix_background(wav, tmp_path / "x.wav", "rain")
    silent = _write(tmp_path / "silent.wav", np.zeros(rate), rate)
    with pytest.raises(BackgroundError, match=r"is silent, so there is no speech level .*; give a WAV with speech"):
        mix_background(silent, tmp_path / "x.wav", "noise")
    stereo = _write(tmp_path / "stereo.wav", np.zeros(2 * rate), rate, channels=2)
    with pytest.raises(BackgroundError, match=r"is not 16-bit mono PCM; convert it with extract_audio first\.$"):
        mix_background(stereo, tmp_path / "x.wav", "noise")
    with pytest.raises(BackgroundError, match=r"is not a readable WAV file .*; give a 16-bit mono WAV\.$"):
        mix_background(tmp_path / "missing.wav", tmp_path / "x.wav", "noise")


@pytest.mark.parametrize("kind", ["music", "noise"])
@pytest.mark.parametrize("rate", [16000, 22050])
def test_background_sounds_for_the_whole_length(kind: str, rate: int, tmp_path: Path) -> None:
    from reelquant.media.background import make_background

    n = rate * 12
    with wave.open(str(make_background(kind, n, rate, tmp_path / "bg.wav")), "rb") as w:
        assert w.getframerate() == rate and w.getnframes() == n
        pcm = np.frombuffer(w.readframes(n), dtype="<i2").astype(np.float64)
    # Every second carries sound: no stretch of the track is left silent.
    levels = [np.sqrt(np.mean(pcm[i:i + rate] ** 2)) for i in range(0, n, rate)]
    assert min(levels) > 0.2 * max(levels), levels
