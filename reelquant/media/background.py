"""Put a background under speech at a chosen signal-to-noise ratio: music-like chords or pink noise, made by sox.

The speech level is its active speech level: the WAV is cut into 20 ms frames and the level is the mean
power of the loudest frames, taking quieter ones in for as long as each stays within ACTIVE_MARGIN_DB of
the mean of those taken (the 15.9 dB margin of ITU-T P.56's active speech level, on frames instead of its
envelope). Pauses, digital silence and breaths fall below the margin, so a script read slowly is no louder
or quieter, as speech, than the same script read with short pauses. The background's level is its mean
power over the whole file. The background is scaled so that the two differ by exactly `snr_db`, then
added; when the sum would clip, speech and background are turned down together, which keeps the ratio.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

BACKGROUNDS: tuple[str, ...] = ("none", "music", "noise")
ACTIVE_MARGIN_DB = 15.9
FRAME_S = 0.02
# The mix peaks at most this far below full scale; louder sums are turned down as a whole.
_PEAK = 0.98 * 32767
# Four chords (Am, F, C, G), each two seconds: a sustained sine pad under plucked notes on every beat
# (120 beats per minute). sox's pluck only runs at 44.1-48 kHz, so the loop is made there and resampled.
_CHORDS: tuple[tuple[str, ...], ...] = (
    ("A2", "E3", "A3", "C4", "E4"),
    ("F2", "C3", "F3", "A3", "C4"),
    ("C3", "G3", "C4", "E4", "G4"),
    ("G2", "D3", "G3", "B3", "D4"),
)
_BEAT_S = 0.5
_BEATS_PER_CHORD = 4
_MUSIC_RATE = 44100


class BackgroundError(RuntimeError):
    """A background cannot be made or mixed."""


@dataclass(frozen=True)
class Mix:
    """What mix_background wrote: levels in dB relative to full scale, and the gain applied to the speech."""

    path: Path
    kind: str
    snr_db: float  # speech active level minus background level, as mixed (inf for "none")
    speech_db: float  # active speech level of the input
    background_db: float  # background level in the mix (-inf for "none")
    gain: float  # factor on speech and background together: 1.0 unless the sum would have clipped


def _read_mono16(path: Path) -> tuple[np.ndarray, int]:
    try:
        with wave.open(str(path), "rb") as w:
            if w.getsampwidth() != 2 or w.getnchannels() != 1:
                raise BackgroundError(f"{path} is not 16-bit mono PCM; convert it with extract_audio first.")
            return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64), w.getframerate()
    except (wave.Error, EOFError, FileNotFoundError) as exc:
        raise BackgroundError(f"{path} is not a readable WAV file ({exc}); give a 16-bit mono WAV.") from None


def _write_mono16(path: Path, pcm: np.ndarray, rate: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.clip(np.round(pcm), -32768, 32767).astype("<i2").tobytes())


def _db(power: float) -> float:
    return 10.0 * math.log10(power) if power > 0 else -math.inf


def active_level_db(pcm: np.ndarray, rate: int, margin_db: float = ACTIVE_MARGIN_DB) -> float:
    """Active speech level of `pcm` (samples in 16-bit units) in dB relative to full scale, as described above.

    Frames are taken loudest first; the level is that of the largest such set whose quietest frame is no
    more than `margin_db` below the set's mean power. -inf when every frame is silent.
    """
    frame = max(1, int(round(FRAME_S * rate)))
    n = pcm.size // frame
    if n == 0:
        return -math.inf
    x = np.asarray(pcm[: n * frame], dtype=np.float64) / 32768.0
    power = np.sort(np.mean(x.reshape(n, frame) ** 2, axis=1))[::-1]
    power = power[power > 0]
    if power.size == 0:
        return -math.inf
    mean = np.cumsum(power) / np.arange(1, power.size + 1)
    within = np.flatnonzero(10.0 * np.log10(mean / power) <= margin_db)
    return _db(float(mean[within[-1]]))


def _sox(*args: str) -> None:
    proc = subprocess.run(["sox", "-R", *args], capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise BackgroundError(f"sox failed to make the background: {proc.stderr.strip()[-200:]}")


def _music(n: int, rate: int, work: Path) -> Path:
    """`n` samples at `rate` of the chord loop, repeated."""
    chords = []
    for i, notes in enumerate(_CHORDS):
        chord_s = _BEAT_S * _BEATS_PER_CHORD
        pluck, pad, chord = work / f"pluck{i}.wav", work / f"pad{i}.wav", work / f"chord{i}.wav"
        _sox("-r", str(_MUSIC_RATE), "-c", str(len(notes)), "-n", "-c", "1", "-b", "16", str(pluck),
             "synth", f"{_BEAT_S}", *[x for note in notes for x in ("pluck", note)],
             "remix", "-", "fade", "q", "0.005", f"{_BEAT_S}", f"{0.8 * _BEAT_S}", "repeat", str(_BEATS_PER_CHORD - 1))
        _sox("-r", str(_MUSIC_RATE), "-c", "3", "-n", "-c", "1", "-b", "16", str(pad),
             "synth", f"{chord_s}", *[x for note in notes[:3] for x in ("sine", note)],
             "remix", "-", "fade", "0.05", f"{chord_s}", "0.1", "vol", "0.3")
        _sox("-m", str(pluck), str(pad), str(chord))
        chords.append(str(chord))
    loop = work / "loop.wav"
    _sox(*chords, str(loop))
    loop_s = len(_CHORDS) * _BEAT_S * _BEATS_PER_CHORD
    out = work / "music.wav"
    _sox(str(loop), "-r", str(rate), str(out), "repeat", str(max(0, math.ceil(n / rate / loop_s) - 1)),
         "rate", str(rate), "trim", "0", f"{n}s")
    return out


def _noise(n: int, rate: int, work: Path) -> Path:
    """`n` samples of pink noise at `rate`."""
    out = work / "noise.wav"
    # The null input takes `rate` too: otherwise sox synthesizes at its default 48 kHz and counts samples there.
    _sox("-r", str(rate), "-n", "-r", str(rate), "-c", "1", "-b", "16", str(out), "synth", f"{n}s", "pinknoise")
    return out


def make_background(kind: str, n_samples: int, rate: int, out_wav: str | Path) -> Path:
    """Write `n_samples` of background `kind` ("music" or "noise") at `rate` as 16-bit mono, at sox's level."""
    if kind not in BACKGROUNDS or kind == "none":
        raise ValueError(f"unknown background {kind!r}; use one of {', '.join(b for b in BACKGROUNDS if b != 'none')}.")
    if shutil.which("sox") is None:
        raise BackgroundError("sox is not installed; install the Debian package sox.")
    out_wav = Path(out_wav)
    with tempfile.TemporaryDirectory() as tmp:
        made = (_music if kind == "music" else _noise)(n_samples, rate, Path(tmp))
        pcm, _ = _read_mono16(made)
        if pcm.size < n_samples:
            raise BackgroundError(f"sox made {pcm.size} samples of {kind} where {n_samples} were asked for; "
                                  "check the installed sox with `sox --version`.")
        pcm = pcm[:n_samples]
        _write_mono16(out_wav, pcm, rate)
    return out_wav


def mix_background(speech_wav: str | Path, out_wav: str | Path, kind: str, snr_db: float = 10.0) -> Mix:
    """Write `speech_wav` (16-bit mono, any rate) with background `kind`, one of BACKGROUNDS, `snr_db` below
    the speech's active level, at the speech's sample rate; "none" writes the speech unchanged."""
    if kind not in BACKGROUNDS:
        raise ValueError(f"unknown background {kind!r}; use one of {', '.join(BACKGROUNDS)}.")
    if not math.isfinite(snr_db):
        raise ValueError(f"snr_db must be a finite number of decibels, not {snr_db!r}.")
    speech_wav, out_wav = Path(speech_wav), Path(out_wav)
    speech, rate = _read_mono16(speech_wav)
    speech_db = active_level_db(speech, rate)
    if kind == "none":
        _write_mono16(out_wav, speech, rate)
        return Mix(out_wav, kind, math.inf, speech_db, -math.inf, 1.0)
    if not math.isfinite(speech_db):
        raise BackgroundError(f"{speech_wav} is silent, so there is no speech level to set the background "
                              "against; give a WAV with speech in it.")
    with tempfile.TemporaryDirectory() as tmp:
        background, _ = _read_mono16(make_background(kind, speech.size, rate, Path(tmp) / "bg.wav"))
    background_db = _db(float(np.mean((background / 32768.0) ** 2)))
    background *= 10.0 ** ((speech_db - snr_db - background_db) / 20.0)
    mixed = speech + background
    peak = float(np.max(np.abs(mixed)))
    gain = min(1.0, _PEAK / peak) if peak > 0 else 1.0
    _write_mono16(out_wav, gain * mixed, rate)
    return Mix(out_wav, kind, snr_db, speech_db, speech_db - snr_db + 20.0 * math.log10(gain), gain)
