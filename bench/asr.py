"""Word error rate and real-time factor of each transcription engine, by voice and by background.

Scripts: the labelled lessons in ../shared/lessons (beside the checkout), which none of the speech models
here was built from. By default two short ones full of indicator names and numbers, channel_breakout and
macd_trend (158 words, about 55 seconds of speech per voice), spoken 9 ways (3 voices x 3 backgrounds) to
5 engines: the whole table then takes about 20 minutes on 2 quiet cores, most of it pocketsphinx, which
on one core runs at about 0.3 of real time on clean speech, 0.7-0.9 under noise and 1.5-2 under music.
--limit N takes the N shortest lessons instead (ties by name; 0 for all 44), --lessons NAME,NAME the
named ones.

Audio: each script is spoken whole by each voice (reelquant.media.synth: festival, piper, espeak),
converted to 16 kHz mono as the pipeline does (extract_audio) and cached under
~/.cache/reelquant/asr-audio by sha256 of voice and what it says (speech_key), so reruns skip synthesis; then put under each
background (reelquant.media.background: none, music-like chords, pink noise) at --snr dB (10) below the
speech's active level. No video is made.

Engines: pocketsphinx with the trading language model and with its own English model; faster-whisper
(CTranslate2 int8, CPU) with Whisper tiny.en and Whisper base, base both with the trading hotwords (as the
pipeline runs it) and without. WER is after Whisper's English text normalizer (reelquant.speech.wer),
summed over the scripts (errors / reference words). RTF is transcription seconds per second of audio;
model loading and language-model building are excluded (each engine first transcribes a short clip).

The table is followed by what each engine still mishears (counted runs of wrong words) and ends with
the pipeline engine's headline: Whisper base with hotwords, WER on Festival, Piper, Piper under noise
and eSpeak, RTF over all its rows.

    .venv/bin/python bench/asr.py [--limit N | --lessons a,b] [--engines a,b] [--voices a,b] [--backgrounds a,b]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import wave
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reelquant.media.audio import extract_audio  # noqa: E402
from reelquant.media.background import BACKGROUNDS, mix_background  # noqa: E402
from reelquant.media.synth import VOICES, speech_key, synthesize_speech  # noqa: E402
from reelquant.speech.engines import EngineUnavailableError, PocketsphinxEngine  # noqa: E402
from reelquant.speech.wer import word_score  # noqa: E402
from reelquant.speech.whisper import FasterWhisperEngine  # noqa: E402

LESSON_DIRS = (ROOT.parent / "shared" / "lessons", ROOT / "shared" / "lessons")
DEFAULT_LESSONS = ("channel_breakout", "macd_trend")
SNR_DB = 10.0
# Engine name -> how it is built. The headline engine is the pipeline's default: Whisper base with hotwords.
ENGINES: dict[str, dict[str, Any]] = {
    "pocketsphinx": {"kind": "pocketsphinx", "language_model": "trading"},
    "pocketsphinx_default": {"kind": "pocketsphinx", "language_model": "default"},
    "faster_whisper:tiny.en": {"kind": "faster_whisper", "model": "tiny.en", "hotwords": True},
    "faster_whisper:base/no-hotwords": {"kind": "faster_whisper", "model": "base", "hotwords": False},
    "faster_whisper:base": {"kind": "faster_whisper", "model": "base", "hotwords": True},
}
HEADLINE = "faster_whisper:base"
# The headline's WER columns: (label, voice, background).
HEADLINE_COLUMNS = (("festival", "festival", "none"), ("piper", "piper", "none"),
                    ("piper+noise", "piper", "noise"), ("espeak", "espeak", "none"))
WARM_UP_S = 6.0


@dataclass
class Row:
    lesson: str
    voice: str
    background: str
    engine: str
    audio_s: float
    seconds: float
    cpu_s: float  # processor time of this process in those seconds (all threads)
    edits: int
    words: int
    heard: str
    misheard: list[tuple[str, str]]


def lesson_dir() -> Path:
    found = next((d for d in LESSON_DIRS if d.is_dir()), None)
    if found is None:
        raise SystemExit(f"no lesson scripts at {LESSON_DIRS[0]}; check out the shared folder beside the repository.")
    return found


def lessons(limit: int | None, names: list[str] | None) -> list[Path]:
    """The named scripts, else the `limit` shortest by word count (all when 0), else DEFAULT_LESSONS."""
    folder = lesson_dir()
    if limit is None:
        names = names or list(DEFAULT_LESSONS)
    if names:
        missing = [n for n in names if not (folder / f"{n}.txt").is_file()]
        if missing:
            raise SystemExit(f"no lesson named {', '.join(missing)} in {folder}; use the names of its .txt files.")
        return [folder / f"{n}.txt" for n in names]
    found = sorted(folder.glob("*.txt"), key=lambda p: (len(p.read_text(encoding="utf-8").split()), p.name))
    return found[:limit] if limit else found


def audio_cache_dir(override: str | None) -> Path:
    return Path(override).expanduser() if override else Path.home() / ".cache" / "reelquant" / "asr-audio"


def spoken(text: str, voice: str, cache: Path) -> Path:
    """16 kHz mono WAV of `text` in `voice`, synthesized once and kept under `cache`."""
    key = speech_key(text, voice)
    out = cache / f"{key}.wav"
    if out.is_file():
        return out
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        raw = synthesize_speech(text, Path(tmp) / "raw.wav", voice=voice)
        info = extract_audio(raw, Path(tmp) / "16k.wav")
        os.replace(info.path, out)
    return out


def duration_s(wav: Path) -> float:
    with wave.open(str(wav), "rb") as w:
        return w.getnframes() / w.getframerate()


def build(name: str) -> Any:
    spec = ENGINES[name]
    if spec["kind"] == "pocketsphinx":
        return PocketsphinxEngine(language_model=spec["language_model"])
    return FasterWhisperEngine(spec["model"], hotwords=spec["hotwords"])


def warm_up(engine: Any, wav: Path, work: Path) -> Any:
    """Load the model (and build any language model) by transcribing the first WARM_UP_S of `wav`."""
    clip = work / "warm_up.wav"
    with wave.open(str(wav), "rb") as src, wave.open(str(clip), "wb") as dst:
        dst.setparams(src.getparams())
        dst.writeframes(src.readframes(int(WARM_UP_S * src.getframerate())))
    return engine.transcribe(clip)


def pct(edits: int, words: int) -> str:
    return f"{100.0 * edits / words:.1f}" if words else "n/a"


def rtf(rows: list[Row]) -> float:
    audio = sum(r.audio_s for r in rows)
    return sum(r.seconds for r in rows) / audio if audio else float("nan")


def print_table(rows: list[Row], engines: list[str], voices: list[str], backgrounds: list[str]) -> None:
    cell = 14
    head = f"{'engine':<32} {'voice':<9}" + "".join(f"| {b:<{cell - 2}}" for b in [*backgrounds, "all"])
    print(head)
    print(f"{'':<42}" + "".join(f"| {'WER %':>5} {'RTF':>5} " for _ in [*backgrounds, "all"]))
    for engine in engines:
        for voice in [*voices, "all"]:
            line = f"{engine:<32} {voice:<9}"
            for background in [*backgrounds, "all"]:
                sel = [r for r in rows if r.engine == engine and voice in (r.voice, "all")
                       and background in (r.background, "all")]
                if not sel:
                    line += f"| {'':<{cell - 2}}"
                    continue
                edits, words = sum(r.edits for r in sel), sum(r.words for r in sel)
                line += f"| {pct(edits, words):>5} {rtf(sel):5.3f} "
            print(line)
        print()


def print_misheard(rows: list[Row], engines: list[str], top: int) -> None:
    # Base with hotwords (the pipeline's engine) last, just above the headline.
    for engine in sorted(engines, key=lambda e: e == HEADLINE):
        counts: Counter[tuple[str, str]] = Counter()
        for r in rows:
            if r.engine == engine:
                counts.update(tuple(span) for span in r.misheard)
        total = sum(counts.values())
        print(f"still misheard by {engine} ({total} spans; said -> heard):")
        for (said, heard), n in counts.most_common(top):
            print(f"  {n:3d}x  {said or '(nothing)'} -> {heard or '(nothing)'}")
        print()


def headline(rows: list[Row]) -> str:
    mine = [r for r in rows if r.engine == HEADLINE]
    parts = []
    for label, voice, background in HEADLINE_COLUMNS:
        sel = [r for r in mine if r.voice == voice and r.background == background]
        words = sum(r.words for r in sel)
        parts.append(f"{label}={pct(sum(r.edits for r in sel), words)}%" if words else f"{label}=n/a")
    return f"asr: engine={HEADLINE}, WER " + ", ".join(parts) + (f", RTF={rtf(mine):.3f}" if mine else ", RTF=n/a")


def main() -> None:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--limit", type=int, default=None,
                   help=f"the N shortest lessons, 0 for all (default: {', '.join(DEFAULT_LESSONS)})")
    p.add_argument("--lessons", default="", help="comma-separated lesson names (default: "
                                                 f"{', '.join(DEFAULT_LESSONS)})")
    p.add_argument("--engines", default=",".join(ENGINES), help=f"comma-separated, of {', '.join(ENGINES)}")
    p.add_argument("--voices", default=",".join(VOICES))
    p.add_argument("--backgrounds", default=",".join(BACKGROUNDS))
    p.add_argument("--snr", type=float, default=SNR_DB, help="speech over background, dB (default 10)")
    p.add_argument("--top", type=int, default=10, help="misheard spans listed per engine")
    p.add_argument("--audio-cache", default=None, help="synthesized audio cache (default ~/.cache/reelquant/"
                                                       "asr-audio)")
    p.add_argument("--json", default=None, help="also write every row to this JSON file")
    args = p.parse_args()

    voices = [v for v in args.voices.split(",") if v]
    backgrounds = [b for b in args.backgrounds.split(",") if b]
    wanted = [e for e in args.engines.split(",") if e]
    for e in wanted:
        if e not in ENGINES:
            raise SystemExit(f"unknown engine {e!r}; use some of {', '.join(ENGINES)}.")
    for v in voices:
        if v not in VOICES:
            raise SystemExit(f"unknown voice {v!r}; use some of {', '.join(VOICES)}.")
    for b in backgrounds:
        if b not in BACKGROUNDS:
            raise SystemExit(f"unknown background {b!r}; use some of {', '.join(BACKGROUNDS)}.")
    scripts = lessons(args.limit, [n for n in args.lessons.split(",") if n] or None)
    texts = {s.stem: s.read_text(encoding="utf-8") for s in scripts}
    cache = audio_cache_dir(args.audio_cache)
    print(f"{len(scripts)} lesson(s), {sum(len(t.split()) for t in texts.values())} words: {', '.join(texts)}")
    print(f"voices {', '.join(voices)}; backgrounds {', '.join(backgrounds)} at {args.snr:g} dB SNR; "
          f"audio cache {cache}")

    t0 = time.perf_counter()
    speech = {(name, v): spoken(text, v, cache) for name, text in texts.items() for v in voices}
    print(f"speech ready in {time.perf_counter() - t0:.0f} s")

    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        engines: dict[str, Any] = {}
        for name in wanted:
            engine = build(name)
            try:
                t0 = time.perf_counter()
                hot = getattr(warm_up(engine, next(iter(speech.values())), work), "hotwords", "")
            except EngineUnavailableError as exc:
                print(f"skipping {name}: {exc}")
                continue
            engines[name] = engine
            print(f"{name}: loaded in {time.perf_counter() - t0:.1f} s" + (f"; hotwords {hot!r}" if hot else ""))
        names = list(engines)
        print()
        print(f"{'lesson':<22} {'voice':<8} {'background':<10} {'audio s':>7}  "
              + "  ".join(f"{n.split(':')[-1][:16]:>16}" for n in names))
        for lesson, text in texts.items():
            for voice in voices:
                for background in backgrounds:
                    mixed = mix_background(speech[(lesson, voice)], work / "mix.wav", background, args.snr).path
                    audio = duration_s(mixed)
                    cells = []
                    for name, engine in engines.items():
                        t0, c0 = time.perf_counter(), time.process_time()
                        heard = engine.transcribe(mixed).text
                        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
                        score = word_score(text, heard)
                        rows.append(Row(lesson, voice, background, name, audio, seconds, cpu, score.edits,
                                        score.words, heard, score.spans))
                        cells.append(f"{pct(score.edits, score.words):>6}% {seconds / audio:5.3f}x")
                    print(f"{lesson[:22]:<22} {voice:<8} {background:<10} {audio:7.1f}  " + "  ".join(cells),
                          flush=True)
    audio_total = sum(r.audio_s for r in rows)
    print(f"\ntranscribed {audio_total / max(len(names), 1):.0f} s of audio per engine in "
          f"{sum(r.seconds for r in rows):.0f} s ({sum(r.cpu_s for r in rows):.0f} processor seconds)\n")
    print_table(rows, names, voices, backgrounds)
    print_misheard(rows, names, args.top)
    if args.json:
        Path(args.json).write_text(json.dumps([asdict(r) for r in rows], indent=1), encoding="utf-8")
    print(headline(rows))


if __name__ == "__main__":
    main()
