"""Score the rule extractor against a folder of labeled lessons (NAME.txt + NAME.spec.json).

Three ways to hear a lesson: its written script (`text`), a voiced video (Festival by default, or Piper or
eSpeak NG) with an SRT made from the script at the real sentence times (`sidecar`), and a speech engine's
transcript of the script spoken by that voice (`asr`): by default the engine the transcriber's `auto` takes
for a video with no subtitle file (faster-whisper with Whisper base). Spoken audio and transcripts are kept
in the cache, a transcript per engine setting, so a rerun only reads them. Scores follow
reelquant.strategy.scoring, which gives the same lines as the shared reference scorer.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reelquant.media.synth import VOICES
from reelquant.speech.transcript import Transcript
from reelquant.strategy.scoring import (
    Totals,
    explain,
    labeled_specs,
    lesson_line,
    score_lesson,
    totals_line,
)
from reelquant.strategy.spec import StrategySpec, load_specs

MODES: tuple[str, ...] = ("text", "sidecar", "asr")
DEFAULT_VOICE = "festival"
# The engine settings that change what is heard; a cached transcript is kept per engine name and these.
ENGINE_SETTINGS: tuple[str, ...] = ("model", "compute_type", "language", "hotwords", "translate", "beam_size",
                                    "language_model")
LABEL_SUFFIX = ".spec.json"
Extractor = Callable[[Transcript], Any]


class EvaluationError(ValueError):
    """The label folder or mode cannot be evaluated; the message says what to do."""


@dataclass(frozen=True)
class Lesson:
    """A labeled lesson: its name, its script (None when only the label is there) and its label as stored."""

    name: str
    text: str | None
    label: Any

    @property
    def specs(self) -> list[StrategySpec]:
        return load_specs(self.label)


def default_cache_dir() -> Path:
    """Where synthesized lesson videos are kept between runs: beside the trading language model, in the
    user's cache (never inside the repository)."""
    from reelquant.speech.lm import default_cache_dir as lm_cache

    return lm_cache().parent / "lesson-videos"


def labeled_lessons(label_dir: str | Path) -> list[Lesson]:
    """Every NAME.spec.json of `label_dir` (sorted as the reference scorer sorts them) with its NAME.txt."""
    folder = Path(label_dir)
    if not folder.is_dir():
        raise EvaluationError(f"{folder} is not a folder; give a folder of NAME.txt and NAME.spec.json files.")
    out = []
    for label_path in sorted(folder.glob(f"*{LABEL_SUFFIX}")):
        name = label_path.name[: -len(LABEL_SUFFIX)]
        try:
            label = json.loads(label_path.read_text(encoding="utf-8"))
            labeled_specs(label)
        except ValueError as exc:
            raise EvaluationError(f"{label_path} is not a valid StrategySpec label ({exc}); fix the label.") from exc
        script = folder / f"{name}.txt"
        out.append(Lesson(name, script.read_text(encoding="utf-8") if script.is_file() else None, label))
    if not any(lesson.text is not None for lesson in out):
        raise EvaluationError(f"{folder} holds no NAME.txt with a NAME.spec.json beside it; add labeled lessons.")
    return out


def _lesson_folder(text: str, cache_dir: str | Path, voice: str) -> Path:
    """The cache folder of one script spoken by one voice (keyed by what the voice is given to say)."""
    from reelquant.media.synth import speech_key

    return Path(cache_dir) / speech_key(text, voice)[:16]


def lesson_video(text: str, cache_dir: str | Path, voice: str = DEFAULT_VOICE) -> tuple[Path, Path]:
    """The video of a script spoken by `voice` (one of reelquant.media.synth.VOICES) and its SRT sidecar,
    made once per script text and voice."""
    from reelquant.media.synth import make_lesson_video

    folder = _lesson_folder(text, cache_dir, voice)
    mp4, srt = folder / "lesson.mp4", folder / "lesson.srt"
    if not (mp4.is_file() and srt.is_file()):
        folder.mkdir(parents=True, exist_ok=True)
        part_mp4, part_srt = folder / "part.mp4", folder / "part.srt"
        make_lesson_video(text, part_mp4, "lesson", voice=voice, subtitles_out=part_srt)
        # Renamed into place only when complete, so an interrupted run never leaves a half video cached.
        part_srt.replace(srt)
        part_mp4.replace(mp4)
    return mp4, srt


def lesson_audio(text: str, cache_dir: str | Path, voice: str = DEFAULT_VOICE) -> Path:
    """The script spoken by `voice` in one go, as the 16 kHz mono WAV an engine hears, made once per script
    text and voice. One synthesis call for the whole script (the voice pauses at its own sentence ends)
    rather than one per slide: the engine hears only the sound, and a neural voice costs a model load per call."""
    from reelquant.media.audio import extract_audio
    from reelquant.media.synth import synthesize_speech

    folder = _lesson_folder(text, cache_dir, voice)
    wav = folder / "speech16k.wav"
    if not wav.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        spoken = synthesize_speech(text, folder / "part-voice.wav", voice=voice)
        extract_audio(spoken, folder / "part16k.wav")
        (folder / "part16k.wav").replace(wav)  # in place only when complete
        spoken.unlink()
    return wav


def engine_label(engine: Any) -> str:
    """The engine's name and the settings that change what it hears, e.g. "faster_whisper model=base ..."."""
    settings = []
    for key in ENGINE_SETTINGS:
        value = getattr(engine, key, None)
        if value is None or value == "":
            continue
        if key == "model":  # a packaged model by its name, a model folder by its last part
            value = getattr(engine, "model_label", None) or Path(str(value)).name
        settings.append(f"{key}={value}")
    return " ".join([str(getattr(engine, "name", type(engine).__name__)), *settings])


def _asr_transcript(wav: Path, engine: Any) -> Transcript:
    """The engine's transcript of a lesson's audio, read from beside it when this engine setting heard it before."""
    key = hashlib.sha256(engine_label(engine).encode()).hexdigest()[:12]
    cached = wav.with_name(f"transcript-{key}.json")
    if cached.is_file():
        try:
            return Transcript.from_dict(json.loads(cached.read_text(encoding="utf-8")))
        except (ValueError, KeyError, TypeError):
            cached.unlink()  # a damaged cache entry is heard again
    transcript = engine.transcribe(wav)
    part = cached.with_suffix(".part")
    part.write_text(json.dumps(transcript.to_dict()), encoding="utf-8")
    part.replace(cached)  # in place only when complete
    return transcript


def default_engine() -> Any:
    """The engine the transcriber's `auto` takes, with the resource's defaults, for a video with no subtitle file:
    the first that can run of WhisperX (on CUDA), faster-whisper (Whisper base, int8 on the CPU, primed with the
    trading words) and pocketsphinx."""
    from reelquant.speech.engines import select_engine
    from resources.speech import TranscriberResource

    # The lessons' own subtitles are the sidecar mode, never the asr mode: the sidecar engine is left out.
    engines = [e for e in TranscriberResource().engines() if e.name != "sidecar"]
    return select_engine("auto", Path("lesson.mp4"), engines)[0]


ENGINES: tuple[str, ...] = ("default", "pocketsphinx")


def asr_engine(name: str = "default", language_model: str = "trading") -> Any:
    """The asr mode's engine: "default" (see default_engine) or "pocketsphinx" with `language_model`
    ("trading" or "default")."""
    if name == "default":
        return default_engine()
    if name == "pocketsphinx":
        from reelquant.speech.engines import PocketsphinxEngine

        return PocketsphinxEngine(language_model=language_model)
    raise EvaluationError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}.")


def lesson_transcript(
    text: str, mode: str, cache_dir: str | Path, engine: Any = None, voice: str = DEFAULT_VOICE
) -> Transcript:
    """How the lesson is heard in `mode`: the script itself, the SRT sidecar of its video spoken by `voice`,
    or an engine's transcript of the script spoken by `voice` (default_engine unless another is given)."""
    from reelquant.speech.transcript import transcript_from_text

    if mode == "text":
        return transcript_from_text(text)
    if mode not in MODES:
        raise EvaluationError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}.")
    if mode == "sidecar":
        from reelquant.speech.engines import SidecarEngine

        mp4, _ = lesson_video(text, cache_dir, voice=voice)
        return SidecarEngine().transcribe(mp4.with_name("none.wav"), video=mp4)
    wav = lesson_audio(text, cache_dir, voice=voice)
    # A lesson spoken in another language is read from its English translation, as the pipeline reads it.
    return _asr_transcript(wav, engine if engine is not None else default_engine()).english()


def default_extractor() -> Extractor:
    """The project's rule extractor: reelquant.text.rules.extract_specs."""
    from reelquant.text.rules import extract_specs

    return extract_specs


def evaluate_dir(
    label_dir: str | Path,
    mode: str = "text",
    cache_dir: str | Path | None = None,
    extractor: Extractor | None = None,
    engine: Any = None,
    voice: str = DEFAULT_VOICE,
) -> dict[str, Any]:
    """Extract every labeled lesson of `label_dir` as heard in `mode` and score it against its label.

    Returns {"mode", "label_dir", "voice", "engine", "rows": [per lesson], "totals": Totals}. Videos spoken
    by `voice` and their transcripts are kept under `cache_dir` (a temporary folder, dropped afterwards, when
    none is given); in asr mode `engine` hears them (default_engine when none is given). `extractor` takes a
    Transcript and returns specs (default: reelquant.text.rules.extract_specs).
    """
    if mode not in MODES:
        raise EvaluationError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}.")
    if voice not in VOICES:
        raise EvaluationError(f"unknown voice {voice!r}; choose one of {', '.join(VOICES)}.")
    extract = extractor or default_extractor()
    lessons = labeled_lessons(label_dir)
    if mode == "asr" and engine is None:
        engine = default_engine()  # one engine (one model load) for every lesson
    rows: list[dict[str, Any]] = []
    totals = Totals()
    with tempfile.TemporaryDirectory(prefix="reelquant-eval-") as tmp:
        cache = Path(cache_dir) if cache_dir is not None else Path(tmp)
        for lesson in lessons:
            row: dict[str, Any] = {"lesson": lesson.name, "label_testable": any(s.testable for s in lesson.specs),
                                   "label_unsupported": [r for s in lesson.specs for r in s.unsupported]}
            specs: list[StrategySpec] = []
            if lesson.text is not None:
                transcript = lesson_transcript(lesson.text, mode, cache, engine=engine, voice=voice)
                started = time.perf_counter()
                specs = load_specs(extract(transcript))
                row.update(extract_s=time.perf_counter() - started, words=len(transcript.text.split()),
                           heard=transcript.text)
            score = score_lesson(lesson.label, specs, missing=lesson.text is None)
            totals.add(score, lesson.name)
            row.update(score.as_dict(), line=lesson_line(lesson.name, score),
                       testable=any(s.testable for s in specs),
                       specs=[s.to_dict() for s in specs], summaries=[s.summary() for s in specs],
                       unsupported=[r for s in specs for r in s.unsupported],
                       why=[] if score.exact else explain(lesson.label, specs, score))
            rows.append(row)
    return {"mode": mode, "label_dir": str(label_dir), "voice": voice if mode != "text" else None,
            "engine": engine_label(engine) if mode == "asr" else None, "rows": rows, "totals": totals}


def format_result(result: dict[str, Any], verbose: bool = False) -> str:
    """The reference scorer's lines (one per lesson, then the totals line), each lesson that is not exact
    followed by indented lines saying why; with `verbose` every lesson's specs, and in asr mode what was heard."""
    lines = []
    for r in result["rows"]:
        lines.append(r["line"])
        if verbose:
            lines += [f"    got    {s}" for s in r["summaries"]]
        lines += [f"    why    {w}" for w in r["why"]]
        if verbose and result["mode"] == "asr" and r.get("heard"):
            lines.append(f"    heard  {r['heard']}")
    lines.append(totals_line(result["totals"]))
    return "\n".join(lines)


def result_json(result: dict[str, Any]) -> dict[str, Any]:
    """The result with its totals as a plain dict, ready for json.dumps."""
    return {**result, "totals": result["totals"].as_dict(), "line": totals_line(result["totals"])}


def _cmd_eval(args: argparse.Namespace) -> int:
    cache = Path(args.cache).expanduser() if args.cache else default_cache_dir()
    try:
        engine = asr_engine(args.engine, args.lm) if args.mode == "asr" else None
        result = evaluate_dir(args.label_dir, mode=args.mode, cache_dir=cache, engine=engine, voice=args.voice)
    except (EvaluationError, OSError) as exc:
        print(f"reelquant: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result_json(result), indent=2))
    else:
        print(format_result(result, verbose=args.verbose))
    return 0


def register(subparsers: Any) -> None:
    """Add `eval-extraction LABEL_DIR [--mode text|sidecar|asr]` to the reelquant command."""
    p = subparsers.add_parser(
        "eval-extraction",
        help="score rule extraction against a folder of labeled lessons",
        description="Extract StrategySpecs from every NAME.txt in LABEL_DIR (as text, as a voiced video with "
        "an SRT sidecar, or as a speech engine hears it spoken) and score them against NAME.spec.json "
        "the way ../shared/tools/score_specs.py does.",
    )
    p.add_argument("label_dir", help="folder of NAME.txt scripts with NAME.spec.json labels")
    p.add_argument("--mode", choices=MODES, default="text", help="how the lesson is heard (default: text)")
    p.add_argument("--cache", default=None,
                   help=f"keep spoken lessons and transcripts here between runs (default: {default_cache_dir()})")
    p.add_argument("--voice", choices=VOICES, default=DEFAULT_VOICE,
                   help=f"who speaks the lesson videos (default: {DEFAULT_VOICE})")
    p.add_argument("--engine", choices=ENGINES, default="default",
                   help="who hears the videos in asr mode: the transcriber's default (faster-whisper, Whisper "
                   "base) or pocketsphinx (default: default)")
    p.add_argument("--lm", choices=["trading", "default"], default="trading",
                   help="pocketsphinx's language model with --engine pocketsphinx (default: trading)")
    p.add_argument("--json", action="store_true", help="print the full result as JSON")
    p.add_argument("-v", "--verbose", action="store_true", help="show every lesson's specs")
    p.set_defaults(func=_cmd_eval)
