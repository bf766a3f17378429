"""Word error rate and real-time factor of each transcription engine usable here, on synthesized lesson videos.

Every script in ../shared/lessons, samples/*.txt and (with --own) tests/lessons is spoken by Festival
and by eSpeak NG into a lesson video, its audio extracted as the pipeline does, and transcribed by
each engine. WER is against the script; RTF is transcription seconds per second of audio, the
language model's one-time build excluded (it is cached). `pocketsphinx` is the engine as
TranscriberResource runs it (the trading language model); `pocketsphinx_default` is pocketsphinx's
own English model, for comparison. faster_whisper runs on a tiny Whisper with random weights (the
only Whisper available offline here), so only its RTF means anything; pass --faster-whisper-model
DIR to score a real model. The last line is the pipeline's engine: WER per voice, RTF on Festival.

    .venv/bin/python bench/asr.py [--limit N] [--own] [--engines pocketsphinx,pocketsphinx_default,faster_whisper]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reelquant.media.audio import extract_audio  # noqa: E402
from reelquant.media.synth import make_lesson_video  # noqa: E402
from reelquant.speech.engines import PocketsphinxEngine  # noqa: E402
from reelquant.speech.wer import word_errors  # noqa: E402
from reelquant.speech.whisper import FasterWhisperEngine, build_random_whisper  # noqa: E402

LESSON_DIRS = [ROOT.parent / "shared" / "lessons", ROOT / "shared" / "lessons"]


def scripts(limit: int | None, own: bool = False) -> list[Path]:
    lessons = next((d for d in LESSON_DIRS if d.is_dir()), None)
    if lessons is None:
        raise SystemExit(f"No shared lessons at {LESSON_DIRS[0]}: check out the shared folder beside the repository.")
    found = sorted(lessons.glob("*.txt"))
    found += sorted((ROOT / "samples").glob("*.txt"))
    if own:
        found += sorted((ROOT / "tests" / "lessons").glob("*.txt"))
    return found[:limit] if limit else found


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--limit", type=int, default=None, help="only the first N scripts")
    p.add_argument("--engines", default="pocketsphinx,pocketsphinx_default,faster_whisper")
    p.add_argument("--own", action="store_true", help="also the project's own lessons (tests/lessons)")
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
                engines[name], scored[name] = PocketsphinxEngine(language_model="trading"), True
            elif name == "pocketsphinx_default":
                engines[name], scored[name] = PocketsphinxEngine(language_model="default"), True
            elif name == "faster_whisper":
                model = args.faster_whisper_model or build_random_whisper(work / "tiny")
                engines[name] = FasterWhisperEngine(model, batch_size=8)
                scored[name] = bool(args.faster_whisper_model)
            else:
                raise SystemExit(f"unknown engine {name!r}; use pocketsphinx, pocketsphinx_default, faster_whisper.")
        totals = {(e, v): [0, 0, 0.0, 0.0] for e in engines for v in voices}  # edits, ref words, seconds, audio
        print(f"{'script':<24} {'voice':<9} {'engine':<15} {'audio s':>8} {'WER %':>7} {'RTF':>6}")
        for script in scripts(args.limit, args.own):
            text = script.read_text(encoding="utf-8")
            for voice in voices:
                video = make_lesson_video(text, work / f"{script.stem}_{voice}.mp4", script.stem, voice=voice)
                info = extract_audio(video, work / f"{script.stem}_{voice}.wav")
                for name, engine in engines.items():
                    if name == "faster_whisper" and engine.loads == 0:
                        engine.transcribe(Path(info.path))  # load the model outside the timing
                    if name.startswith("pocketsphinx") and engine._decoder is None:
                        engine._get_decoder()  # build or load the language model outside the timing
                    t0 = time.perf_counter()
                    tr = engine.transcribe(Path(info.path))
                    seconds = time.perf_counter() - t0
                    edits, n = word_errors(text, tr.text)
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
        # The pipeline's engine last, so the final line is the headline measurement; RTF on the Festival voice
        # (the acceptance set) when it was run, else over every voice.
        for name in sorted(summary, key=lambda e: (e == "pocketsphinx", scored[e])):
            by_voice = summary[name]
            secs, audio = ((by_voice["festival"][1], by_voice["festival"][2]) if "festival" in by_voice else
                           (sum(s for _, s, _ in by_voice.values()), sum(a for _, _, a in by_voice.values())))
            parts = [f"{v}={r:.1f}%" if scored[name] else f"{v}=n/a" for v, (r, _, _) in by_voice.items()]
            print(f"asr: engine={name}, WER " + ", ".join(parts) + f", RTF={secs / max(audio, 1e-9):.3f}")

if __name__ == "__main__":
    main()
