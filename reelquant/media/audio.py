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


def speech_regions(
    wav: str | Path,
    frame_s: float = 0.02,
    min_speech_s: float = 0.15,
    min_silence_s: float = 0.3,
    pad_s: float = 0.1,
    floor_db: float = -55.0,
) -> list[tuple[float, float]]:
    """Spans (start_s, end_s) where the level says someone is speaking.

    Two thresholds (hysteresis) placed between the quiet floor and the loud level of this very
    file: speech starts above the high one and lasts until the level falls under the low one,
    so the breath between words does not cut a sentence in half. Gaps shorter than
    `min_silence_s` are bridged, blips shorter than `min_speech_s` dropped, regions padded.
    """
    levels = frame_energies_db(wav, frame_s=frame_s)
    if levels.size == 0:
        return []
    duration = read_wav_info(wav)[2]
    quiet = float(np.percentile(levels, 10))
    # The loud level is taken over the frames that rise above the quiet floor, so a lecture that
    # is mostly silence (a few remarks in an hour) still has its speech level measured.
    above = levels[levels > quiet + 6.0]
    loud = float(np.percentile(above if above.size >= 10 else levels, 95))
    if loud < floor_db:
        return []
    if loud - quiet < 10.0:
        # No contrast in level: either one long stretch of talk or one long stretch of noise.
        return [(0.0, round(duration, 3))]
    high = max(floor_db, quiet + 0.45 * (loud - quiet))
    low = max(floor_db - 5.0, high - 8.0)

    spans: list[list[int]] = []
    active = False
    start = 0
    for i, level in enumerate(levels):
        if not active and level > high:
            active, start = True, i
        elif active and level < low:
            spans.append([start, i])
            active = False
    if active:
        spans.append([start, len(levels)])

    min_gap = int(round(min_silence_s / frame_s))
    merged: list[list[int]] = []
    for span in spans:
        if merged and span[0] - merged[-1][1] < min_gap:
            merged[-1][1] = span[1]
        else:
            merged.append(span)
    min_len = int(round(min_speech_s / frame_s))
    out: list[tuple[float, float]] = []
    for s, e in merged:
        if e - s < min_len:
            continue
        start_s = max(0.0, s * frame_s - pad_s)
        end_s = min(duration, e * frame_s + pad_s)
        if out and start_s <= out[-1][1]:
            out[-1] = (out[-1][0], round(end_s, 3))
        else:
            out.append((round(start_s, 3), round(end_s, 3)))
    return out


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
) -> tuple[bool, str]:
    """Whether the audio track plausibly holds speech, and why, from its speech ratio and regions.

    Speech comes in phrases separated by pauses. Silence yields no regions; music or steady
    noise yields one long region that covers almost everything (the level never drops), or a
    few very long ones. Either ends in "no speech" with a sentence that says what to do.
    """
    data = info.to_dict() if isinstance(info, AudioInfo) else info
    duration = float(data.get("duration_s") or 0.0)
    regions = [(float(s), float(e)) for s, e in data.get("regions") or []]
    speech = sum(e - s for s, e in regions)
    if duration <= 0.0 or not regions or speech < min_speech_s:
        return False, ("no speech: the audio track is silent or nearly so; drop a video whose sound has "
                       "someone speaking, or a .srt/.vtt beside it.")
    ratio = speech / duration
    if ratio < min_ratio:
        return False, (f"no speech: only {speech:.1f} s of {duration:.0f} s has any sound above the floor; "
                       "drop a video with a spoken lesson, or a .srt/.vtt beside it.")
    longest = max(e - s for s, e in regions)
    per_min = len(regions) / (duration / 60.0)
    if longest >= continuous_s and (ratio > 0.95 or per_min < min_regions_per_min):
        return False, (f"no speech: the sound runs for {longest:.0f} s without a pause ({len(regions)} region(s) "
                       f"in {duration:.0f} s), which is music or noise, not talk; if someone does speak over it, "
                       "drop a .srt/.vtt beside the video.")
    return True, (f"speech in {len(regions)} region(s) covering {ratio:.0%} of {duration:.0f} s, "
                  f"longest {longest:.1f} s")
