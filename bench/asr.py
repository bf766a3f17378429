"""Word error rate and real-time factor of each transcription engine usable here, on synthesized lesson videos.

Every script in ../shared/lessons and samples/*.txt is spoken by Festival and by eSpeak NG into a
lesson video, its audio extracted as the pipeline does, and transcribed by each engine. WER is
against the script; RTF is transcription seconds per second of audio. faster_whisper runs on a
tiny Whisper with random weights (the only Whisper available offline here), so only its RTF means
anything; pass --faster-whisper-model DIR to score a real model.

    .venv/bin/python bench/asr.py [--limit N] [--engines pocketsphinx,faster_whisper]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reelquant.media.audio import extract_audio  # noqa: E402
from reelquant.media.synth import make_lesson_video  # noqa: E402
from reelquant.speech.engines import PocketsphinxEngine  # noqa: E402
from reelquant.speech.whisper import FasterWhisperEngine, build_random_whisper  # noqa: E402

LESSON_DIRS = [ROOT.parent / "shared" / "lessons", Path("/work/shared/lessons")]


def words(text: str) -> list[str]:
    text = text.lower().replace("-", " ")
    return re.findall(r"[a-z0-9']+", text)


def wer(reference: str, hypothesis: str) -> tuple[int, int]:
    """(word edits, reference words) by Levenshtein distance over normalized words."""
    ref, hyp = words(reference), words(hypothesis)
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1], len(ref)


def scripts(limit: int | None) -> list[Path]:
    lessons = next((d for d in LESSON_DIRS if d.is_dir()), None)
    found = sorted(lessons.glob("*.txt")) if lessons else []
    found += sorted((ROOT / "samples").glob("*.txt"))
    return found[:limit] if limit else found


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--limit", type=int, default=None, help="only the first N scripts")
    p.add_argument("--engines", default="pocketsphinx,faster_whisper")
    p.add_argument("--faster-whisper-model", default=None, help="a real CTranslate2 Whisper dir (else tiny random)")
    p.add_argument("--voices", default="festival,espeak")
    args = p.parse_args()
    voices = args.voices.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        engines: dict[str, object] = {}
        scored: dict[str, bool] = {}
        for name in args.engines.split(","):
            if name == "pocketsphinx":
                engines[name], scored[name] = PocketsphinxEngine(), True
            elif name == "faster_whisper":
                model = args.faster_whisper_model or build_random_whisper(work / "tiny")
                engines[name] = FasterWhisperEngine(model, batch_size=8)
                scored[name] = bool(args.faster_whisper_model)
            else:
                raise SystemExit(f"unknown engine {name!r}; use pocketsphinx and/or faster_whisper.")
        totals = {(e, v): [0, 0, 0.0, 0.0] for e in engines for v in voices}  # edits, ref words, seconds, audio
        print(f"{'script':<24} {'voice':<9} {'engine':<15} {'audio s':>8} {'WER %':>7} {'RTF':>6}")
        for script in scripts(args.limit):
            text = script.read_text(encoding="utf-8")
            for voice in voices:
                video = make_lesson_video(text, work / f"{script.stem}_{voice}.mp4", script.stem, voice=voice)
                info = extract_audio(video, work / f"{script.stem}_{voice}.wav")
                for name, engine in engines.items():
                    if name == "faster_whisper" and engine.loads == 0:
                        engine.transcribe(Path(info.path))  # load the model outside the timing
                    t0 = time.perf_counter()
                    tr = engine.transcribe(Path(info.path))
                    seconds = time.perf_counter() - t0
                    edits, n = wer(text, tr.text)
                    t = totals[(name, voice)]
                    t[0] += edits
                    t[1] += n
                    t[2] += seconds
                    t[3] += info.duration_s
                    shown = f"{100 * edits / n:7.1f}" if scored[name] else "    n/a"
                    print(f"{script.stem:<24} {voice:<9} {name:<15} {info.duration_s:8.1f} {shown} "
                          f"{seconds / info.duration_s:6.3f}", flush=True)
        print()
        print(f"{'engine':<15} {'voice':<9} {'words':>6} {'WER %':>7} {'RTF':>6}")
        summary = {}
        for (name, voice), (edits, n, seconds, audio) in totals.items():
            rate = 100 * edits / max(n, 1)
            shown = f"{rate:7.1f}" if scored[name] else "    n/a"
            print(f"{name:<15} {voice:<9} {n:6d} {shown} {seconds / max(audio, 1e-9):6.3f}")
            summary.setdefault(name, {})[voice] = (rate, seconds, audio)
        # Scored engines last, so the final line is the headline measurement.
        for name in sorted(summary, key=lambda e: scored[e]):
            by_voice = summary[name]
            secs = sum(s for _, s, _ in by_voice.values())
            audio = sum(a for _, _, a in by_voice.values())
            parts = [f"{v}={r:.1f}%" if scored[name] else f"{v}=n/a" for v, (r, _, _) in by_voice.items()]
            print(f"asr: engine={name}, WER " + ", ".join(parts) + f", RTF={secs / max(audio, 1e-9):.3f}")

if __name__ == "__main__":
    main()
