"""Pull the speech track out of a video as 16 kHz mono WAV and find where in it someone is speaking."""

from __future__ import annotations

import wave
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import av
import numpy as np

from reelquant.media.probe import InvalidVideoError


@dataclass
class AudioInfo:
    path: str
    duration_s: float
    sample_rate: int
    speech_ratio: float
    regions: list[tuple[float, float]] = field(default_factory=list)
    # Share of the track louder than SOUND_FLOOR_DB: tells silence from music or noise without a voice.
    sound_ratio: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def extract_audio(video: str | Path, out_wav: str | Path, sample_rate: int = 16000) -> AudioInfo:
    """Decode the first audio stream of `video` into a mono 16-bit WAV at `sample_rate`.

    Frames are resampled and written one by one, so memory use does not grow with the video's length.
    """
    video, out_wav = Path(video), Path(out_wav)
    out_wav.parent.mkdir(parents=True, exist_ok=True)
    try:
        container = av.open(str(video))
    except (av.error.FFmpegError, FileNotFoundError) as exc:
        raise InvalidVideoError(f"{video} cannot be opened for audio ({exc.__class__.__name__}); "
                                "check that it is a playable video.") from None
    n_samples = 0
    try:
        if not container.streams.audio:
            raise InvalidVideoError(
                f"{video} has no audio stream, so there is no speech to transcribe; drop a video with sound."
            )
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="s16", layout="mono", rate=sample_rate)
        with wave.open(str(out_wav), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(sample_rate)
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    pcm = out.to_ndarray().reshape(-1)
                    wav.writeframes(pcm.astype("<i2").tobytes())
                    n_samples += pcm.size
            for out in resampler.resample(None):
                pcm = out.to_ndarray().reshape(-1)
                wav.writeframes(pcm.astype("<i2").tobytes())
                n_samples += pcm.size
    except av.error.FFmpegError as exc:
        raise InvalidVideoError(
            f"the audio of {video} is damaged after {n_samples / sample_rate:.1f} s ({exc.__class__.__name__}); "
            "re-export or re-download the video."
        ) from None
    finally:
        container.close()
    duration = n_samples / sample_rate
    regions = speech_regions(out_wav)
    speech = sum(e - s for s, e in regions)
    return AudioInfo(
        path=str(out_wav),
        duration_s=round(duration, 3),
        sample_rate=sample_rate,
        speech_ratio=round(speech / duration, 4) if duration else 0.0,
        regions=regions,
        sound_ratio=sound_ratio(out_wav),
    )


def read_wav_info(wav: str | Path) -> tuple[int, int, float]:
    """(sample_rate, channels, duration_s) of a 16-bit PCM WAV file."""
    with wave.open(str(wav), "rb") as w:
        return w.getframerate(), w.getnchannels(), w.getnframes() / w.getframerate()


def frame_energies_db(wav: str | Path, frame_s: float = 0.02, chunk_s: float = 30.0) -> np.ndarray:
    """Per-frame RMS level in dBFS of a 16-bit WAV (first channel), read chunk by chunk."""
    with wave.open(str(wav), "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError(f"{wav} is not 16-bit PCM; convert it with extract_audio first.")
        rate, channels = w.getframerate(), w.getnchannels()
        frame_len = max(1, int(round(rate * frame_s)))
        chunk_frames = max(1, int(chunk_s / frame_s)) * frame_len
        levels: list[np.ndarray] = []
        carry = np.zeros(0, dtype=np.float32)
        while True:
            raw = w.readframes(chunk_frames)
            if not raw:
                break
            pcm = np.frombuffer(raw, dtype="<i2")[::channels].astype(np.float32) / 32768.0
            pcm = np.concatenate([carry, pcm])
            usable = (pcm.size // frame_len) * frame_len
            frames = pcm[:usable].reshape(-1, frame_len)
            carry = pcm[usable:]
            levels.append(10.0 * np.log10(np.mean(frames**2, axis=1) + 1e-10))
        if carry.size:
            levels.append(np.array([10.0 * np.log10(np.mean(carry**2) + 1e-10)]))
    return np.concatenate(levels) if levels else np.zeros(0)


# Silero VAD as faster-whisper ships it: 16 kHz audio in frames of 512 samples (32 ms), each seen
# with the 64 samples before it, an LSTM state carried from frame to frame.
VAD_RATE = 16000
VAD_FRAME = 512
_VAD_CONTEXT = 64
VAD_FRAME_S = VAD_FRAME / VAD_RATE
# Speech starts where the probability reaches this (faster-whisper's default) and ends when it
# falls 0.15 below it.
VAD_THRESHOLD = 0.5
# Audio fed to the model per call: its activations take about 0.6 MB per second of window, and
# longer windows are no faster.
VAD_WINDOW_S = 10.0
# A frame quieter than this is no sound at all (digital or room silence), whatever the VAD says.
SOUND_FLOOR_DB = -50.0


def speech_probabilities(wav: str | Path, window_s: float = VAD_WINDOW_S) -> np.ndarray:
    """Silero's speech probability for every 32 ms frame of a 16 kHz 16-bit WAV (first channel).

    The file is read `window_s` at a time and the model's state and context are carried from one
    window to the next, so an hour costs the memory of one window and gives the same
    probabilities as a single pass over the whole file.
    """
    with wave.open(str(wav), "rb") as w:
        rate, channels = w.getframerate(), w.getnchannels()
        if w.getsampwidth() != 2 or rate != VAD_RATE:
            raise ValueError(f"{wav} is not 16-bit PCM at {VAD_RATE} Hz; convert it with extract_audio first.")
        from faster_whisper.vad import get_vad_model

        session = get_vad_model().session
        h = np.zeros((1, 1, 128), dtype=np.float32)
        c = np.zeros((1, 1, 128), dtype=np.float32)
        context = np.zeros(_VAD_CONTEXT, dtype=np.float32)
        carry = np.zeros(0, dtype=np.float32)
        window = max(1, int(window_s * VAD_RATE) // VAD_FRAME) * VAD_FRAME
        probs: list[np.ndarray] = []
        while True:
            raw = w.readframes(window)
            pcm = np.frombuffer(raw, dtype="<i2")[::channels].astype(np.float32) / 32768.0
            pcm = np.concatenate([carry, pcm])
            if not raw:
                if not pcm.size:
                    break
                pcm = np.pad(pcm, (0, VAD_FRAME - pcm.size))  # the last, partial frame
            usable = (pcm.size // VAD_FRAME) * VAD_FRAME
            frames, carry = pcm[:usable].reshape(-1, VAD_FRAME), pcm[usable:]
            if frames.size:
                before = np.concatenate([context[None, :], frames[:-1, -_VAD_CONTEXT:]])
                out, h, c = session.run(None, {"input": np.concatenate([before, frames], axis=1), "h": h, "c": c})
                probs.append(np.asarray(out, dtype=np.float32).reshape(-1))
                context = frames[-1, -_VAD_CONTEXT:].copy()
            if not raw:
                break
    return np.concatenate(probs) if probs else np.zeros(0, dtype=np.float32)


def hysteresis(values: np.ndarray, high: float, low: float) -> np.ndarray:
    """Per frame, whether it is inside a run that reaches `high` and lasts until `values` fall below `low`."""
    active = np.zeros(values.size, dtype=bool)
    on = False
    for i, v in enumerate(values.tolist()):
        if not on and v >= high:
            on = True
        elif on and v < low:
            on = False
        active[i] = on
    return active


def regions_from_frames(
    active: np.ndarray,
    frame_s: float,
    duration_s: float,
    min_speech_s: float = 0.15,
    min_silence_s: float = 0.3,
    pad_s: float = 0.1,
) -> list[tuple[float, float]]:
    """Spans (start_s, end_s) of the frames marked `active`: gaps shorter than `min_silence_s` are
    bridged, blips shorter than `min_speech_s` dropped, and what is left padded by `pad_s`."""
    edges = np.diff(np.concatenate([[0], np.asarray(active, dtype=np.int8), [0]]))
    spans = list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(), strict=True))
    min_gap = int(round(min_silence_s / frame_s))
    merged: list[list[int]] = []
    for s, e in spans:
        if merged and s - merged[-1][1] < min_gap:
            merged[-1][1] = e
        else:
            merged.append([s, e])
    min_len = int(round(min_speech_s / frame_s))
    out: list[tuple[float, float]] = []
    for s, e in merged:
        if e - s < min_len:
            continue
        start_s = max(0.0, s * frame_s - pad_s)
        end_s = min(duration_s, e * frame_s + pad_s)
        if out and start_s <= out[-1][1]:
            out[-1] = (out[-1][0], round(end_s, 3))
        else:
            out.append((round(start_s, 3), round(end_s, 3)))
    return out


def speech_regions(
    wav: str | Path,
    min_speech_s: float = 0.15,
    min_silence_s: float = 0.3,
    pad_s: float = 0.1,
    threshold: float = VAD_THRESHOLD,
    window_s: float = VAD_WINDOW_S,
) -> list[tuple[float, float]]:
    """Spans (start_s, end_s) where Silero VAD hears someone speaking.

    Speech starts where the probability reaches `threshold` and lasts until it falls 0.15 under it,
    so the breath between words does not cut a sentence in half; then gaps shorter than
    `min_silence_s` are bridged, blips shorter than `min_speech_s` dropped and regions padded.
    Music and steady noise give no regions. The file is read `window_s` at a time.
    """
    probs = speech_probabilities(wav, window_s=window_s)
    if probs.size == 0:
        return []
    active = hysteresis(probs, threshold, max(threshold - 0.15, 0.01))
    return regions_from_frames(active, VAD_FRAME_S, read_wav_info(wav)[2], min_speech_s, min_silence_s, pad_s)


def energy_regions(
    wav: str | Path,
    frame_s: float = 0.02,
    min_speech_s: float = 0.15,
    min_silence_s: float = 0.3,
    pad_s: float = 0.1,
    floor_db: float = -55.0,
) -> list[tuple[float, float]]:
    """Spans where the level alone says someone is speaking (the detector Silero replaced)."""
    levels = frame_energies_db(wav, frame_s=frame_s)
    if levels.size == 0:
        return []
    duration = read_wav_info(wav)[2]
    quiet = float(np.percentile(levels, 10))
    above = levels[levels > quiet + 6.0]
    loud = float(np.percentile(above if above.size >= 10 else levels, 95))
    if loud < floor_db:
        return []
    if loud - quiet < 10.0:
        return [(0.0, round(duration, 3))]
    high = max(floor_db, quiet + 0.45 * (loud - quiet))
    low = max(floor_db - 5.0, high - 8.0)
    return regions_from_frames(hysteresis(levels, high, low), frame_s, duration, min_speech_s, min_silence_s, pad_s)


def sound_ratio(wav: str | Path) -> float:
    """Share of the WAV whose level is above SOUND_FLOOR_DB: 0 for silence, near 1 for music or noise."""
    levels = frame_energies_db(wav, frame_s=VAD_FRAME_S)
    return round(float(np.mean(levels > SOUND_FLOOR_DB)), 4) if levels.size else 0.0


def silences_from_regions(
    regions: Iterable[Sequence[float]], duration_s: float, min_s: float = 0.0
) -> list[tuple[float, float]]:
    """The stretches of [0, duration_s] outside the speech `regions` that last longer than `min_s`."""
    out: list[tuple[float, float]] = []
    t = 0.0
    for start, end in sorted((float(s), float(e)) for s, e in regions):
        if start - t > min_s:
            out.append((round(t, 3), round(start, 3)))
        t = max(t, end)
    if float(duration_s) - t > min_s:
        out.append((round(t, 3), round(float(duration_s), 3)))
    return out


def has_speech(
    info: AudioInfo | dict[str, Any],
    min_speech_s: float = 1.0,
    min_ratio: float = 0.02,
    continuous_s: float = 45.0,
    min_regions_per_min: float = 0.5,
    min_sound_ratio: float = 0.5,
) -> tuple[bool, str]:
    """Whether the audio track plausibly holds speech, and why, from its speech regions and loudness.

    The regions come from the voice detector, which hears no voice in silence, music or steady
    noise; the share of the track that has any sound (`sound_ratio`, at least `min_sound_ratio`
    for music or noise) says which of those it was. Speech also comes in phrases separated by
    pauses: fewer than `min_regions_per_min` regions a minute, one of them running on for
    `continuous_s`, is a soundtrack the detector took for a voice. How much of the track the
    regions cover says nothing here: fluent speech fills nearly all of it (Piper reading the
    sample lessons in one go: 99 % in 12 regions over 107 s, the longest 32 s). Every "no
    speech" ends in a sentence that says what to do.
    """
    data = info.to_dict() if isinstance(info, AudioInfo) else info
    duration = float(data.get("duration_s") or 0.0)
    regions = [(float(s), float(e)) for s, e in data.get("regions") or []]
    speech = sum(e - s for s, e in regions)
    sound = float(data.get("sound_ratio") or 0.0)
    if duration <= 0.0 or speech < min_speech_s or speech / duration < min_ratio:
        if sound >= min_sound_ratio:
            return False, (f"no speech: the track has sound for {sound:.0%} of its {duration:.0f} s but no voice "
                           f"in it ({speech:.1f} s that could be speech), which is music or noise; drop a video "
                           "with a spoken lesson, or a .srt/.vtt beside it.")
        if not regions or speech < min_speech_s:
            return False, ("no speech: the audio track is silent or nearly so; drop a video whose sound has "
                           "someone speaking, or a .srt/.vtt beside it.")
        return False, (f"no speech: only {speech:.1f} s of {duration:.0f} s sounds like a voice; "
                       "drop a video with a spoken lesson, or a .srt/.vtt beside it.")
    ratio = speech / duration
    longest = max(e - s for s, e in regions)
    per_min = len(regions) / (duration / 60.0)
    if longest >= continuous_s and per_min < min_regions_per_min:
        return False, (f"no speech: the sound runs for {longest:.0f} s without a pause ({len(regions)} region(s) "
                       f"in {duration:.0f} s), which is music or noise, not talk; if someone does speak over it, "
                       "drop a .srt/.vtt beside the video.")
    return True, (f"speech in {len(regions)} region(s) covering {ratio:.0%} of {duration:.0f} s, "
                  f"longest {longest:.1f} s")
