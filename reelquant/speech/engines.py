"""Transcription engines behind one small protocol, and the rule that picks one for a video."""

from __future__ import annotations

import re
import threading
import wave
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from reelquant.media.audio import read_wav_info, speech_regions
from reelquant.speech.subtitles import find_sidecar, parse_subtitle_file
from reelquant.speech.transcript import Segment, Transcript, Word


class TranscriptionError(ValueError):
    """An engine could not produce a transcript for this input; the message says what to do."""


class EngineUnavailableError(TranscriptionError):
    """The requested engine cannot run here (missing package, model or subtitle file)."""


@runtime_checkable
class TranscriptionEngine(Protocol):
    name: str

    def available(self) -> tuple[bool, str]:
        """Whether this engine can run here, and why (or why not) in words."""
        ...

    def transcribe(self, wav: Path, video: Path | None = None) -> Transcript:
        """Segments and timed words of the speech in `wav` (16 kHz mono), or of `video`'s sidecar."""
        ...


class SidecarEngine:
    """Uses the .srt/.vtt file dropped next to the video: human-made timing, no model."""

    name = "sidecar"

    def available(self) -> tuple[bool, str]:
        return True, "reads the .srt/.vtt subtitle file dropped next to a video"

    def transcribe(self, wav: Path, video: Path | None = None) -> Transcript:
        sidecar = find_sidecar(video) if video is not None else None
        if sidecar is None:
            raise EngineUnavailableError(
                f"no subtitle file sits next to {video}; drop a same-named .srt or .vtt beside it "
                "or choose another engine."
            )
        segments = parse_subtitle_file(sidecar)
        duration = segments[-1].end
        if wav is not None and Path(wav).is_file():
            duration = max(duration, read_wav_info(wav)[2])
        return Transcript(segments=segments, engine=self.name, model=sidecar.name,
                          duration_s=round(duration, 3))


_FILLER = re.compile(r"^(<.*>|\[.*\]|\+\+.*\+\+)$")
_ALTERNATE = re.compile(r"\(\d+\)$")


class PocketsphinxEngine:
    """CMU PocketSphinx 5 with the US English model inside its wheel: offline, CPU, modest accuracy.

    The audio is decoded one speech region at a time (long regions in pieces of at most
    `max_utterance_s`), so memory stays bounded however long the lesson is; each region
    becomes one segment. `language_model` is "default" (the English model of the wheel) or "trading"
    (reelquant.speech.lm: a model of the registry's and lexicon's trading vocabulary, written once under
    `lm_cache_dir`).
    """

    name = "pocketsphinx"

    def __init__(self, model_dir: str | Path | None = None, max_utterance_s: float = 30.0,
                 min_silence_s: float = 0.35, language_model: str = "default",
                 lm_cache_dir: str | Path | None = None, decoder_options: dict[str, Any] | None = None) -> None:
        if language_model not in ("default", "trading"):
            raise ValueError(f"unknown pocketsphinx language model {language_model!r}; use 'default' or 'trading'.")
        self.model_dir = Path(model_dir) if model_dir else None
        self.max_utterance_s = max_utterance_s
        self.min_silence_s = min_silence_s
        self.language_model = language_model
        self.lm_cache_dir = Path(lm_cache_dir) if lm_cache_dir else None
        self.decoder_options = dict(decoder_options or {})
        self._decoder: Any = None
        self._lm_kind = ""
        self._lock = threading.Lock()

    def _model_path(self) -> Path:
        if self.model_dir is not None:
            return self.model_dir
        import pocketsphinx

        return Path(pocketsphinx.get_model_path()) / "en-us"

    def available(self) -> tuple[bool, str]:
        try:
            import pocketsphinx  # noqa: F401
        except ImportError:
            return False, "the pocketsphinx package is not installed"
        model = self._model_path()
        if not (model / "en-us").is_dir() or not (model / "en-us.lm.bin").is_file():
            return False, f"the pocketsphinx English model is missing under {model}"
        return True, f"offline CPU recognizer with the model at {model}"

    def _get_decoder(self) -> Any:
        if self._decoder is None:
            ok, why = self.available()
            if not ok:
                raise EngineUnavailableError(f"pocketsphinx cannot run: {why}; install pocketsphinx>=5.")
            from pocketsphinx import Decoder

            model = self._model_path()
            lm, dictionary = model / "en-us.lm.bin", model / "cmudict-en-us.dict"
            if self.language_model == "trading":
                from reelquant.speech.lm import (
                    default_cache_dir,
                    trading_language_model,
                    trading_model_recipe,
                )

                cache = self.lm_cache_dir or default_cache_dir()
                lm, dictionary = trading_language_model(cache, model)
                self._lm_kind = trading_model_recipe(lm).get("kind", "")
            options = {"hmm": str(model / "en-us"), "lm": str(lm), "dict": str(dictionary),
                       "samprate": 16000, "loglevel": "FATAL", **self.decoder_options}
            self._decoder = Decoder(**options)
        return self._decoder

    def transcribe(self, wav: Path, video: Path | None = None) -> Transcript:
        wav = Path(wav)
        rate, channels, duration = read_wav_info(wav)
        if rate != 16000 or channels != 1:
            raise TranscriptionError(
                f"{wav} is {rate} Hz with {channels} channel(s); pocketsphinx needs 16 kHz mono, "
                "so convert it with extract_audio first."
            )
        regions = speech_regions(wav, min_silence_s=self.min_silence_s)
        pieces: list[tuple[float, float]] = []
        for start, end in regions:
            while end - start > self.max_utterance_s:
                pieces.append((start, start + self.max_utterance_s))
                start += self.max_utterance_s
            pieces.append((start, end))

        segments: list[Segment] = []
        if not pieces:
            return Transcript(segments=[], engine=self.name, model="cmusphinx en-us (pocketsphinx 5)",
                              duration_s=round(duration, 3), warnings=["no speech was found in the audio"])
        with self._lock, wave.open(str(wav), "rb") as w:
            decoder = self._get_decoder()
            frate = int(decoder.config["frate"])
            for start, end in pieces:
                first = int(start * rate)
                w.setpos(first)
                raw = w.readframes(int((end - start) * rate))
                offset = first / rate
                decoder.start_utt()
                decoder.process_raw(raw, full_utt=True)
                decoder.end_utt()
                words: list[Word] = []
                for seg in decoder.seg():
                    token = seg.word
                    if _FILLER.match(token):
                        continue
                    token = _ALTERNATE.sub("", token)
                    w_start = offset + seg.start_frame / frate
                    w_end = min(offset + (seg.end_frame + 1) / frate, duration)
                    words.append(Word(text=token, start=round(w_start, 3), end=round(w_end, 3),
                                      # a posterior in pocketsphinx's 1.0001-based log arithmetic can read 1.0001
                                      confidence=round(min(float(seg.prob), 1.0), 4)))
                if words:
                    segments.append(Segment(
                        id=len(segments), start=words[0].start, end=words[-1].end,
                        text=" ".join(x.text for x in words), words=words,
                    ))
        return Transcript(segments=segments, engine=self.name, model=self._model_name(),
                          duration_s=round(duration, 3))

    def _model_name(self) -> str:
        kind = f" {self._lm_kind}" if self._lm_kind else ""
        lm = "" if self.language_model == "default" else f", {self.language_model} language model{kind}"
        return f"cmusphinx en-us (pocketsphinx 5{lm})"


# The order "auto" tries engines in: human timing first, then the best model the hardware allows.
AUTO_ORDER = ("sidecar", "whisperx", "faster_whisper", "pocketsphinx")


def select_engine(name: str, video: Path, engines: list[Any]) -> tuple[Any, str]:
    """Pick the engine for `video`: `name` itself, or for "auto" the sidecar when one exists,
    else the first available engine, the known ones taken in AUTO_ORDER.
    Returns (engine, reason in words)."""
    by_name = {e.name: e for e in engines}
    if name != "auto":
        engine = by_name.get(name)
        if engine is None:
            raise EngineUnavailableError(
                f"unknown transcription engine {name!r}; choose one of: auto, {', '.join(by_name)}."
            )
        if engine.name == "sidecar":
            if find_sidecar(video) is None:
                raise EngineUnavailableError(
                    f"engine 'sidecar' was chosen but no .srt/.vtt sits next to {video}; "
                    "drop one beside it or choose another engine."
                )
            return engine, f"engine 'sidecar' was configured; using {find_sidecar(video).name}"
        ok, why = engine.available()
        if not ok:
            raise EngineUnavailableError(f"engine {name!r} was configured but cannot run: {why}.")
        return engine, f"engine {name!r} was configured ({why})"

    # Known engines are reordered among the places they hold; any other engine keeps its place.
    known = iter(sorted((e for e in engines if e.name in AUTO_ORDER), key=lambda e: AUTO_ORDER.index(e.name)))
    engines = [next(known) if e.name in AUTO_ORDER else e for e in engines]
    sidecar = find_sidecar(video)
    if sidecar is not None and "sidecar" in by_name:
        return by_name["sidecar"], f"auto: a subtitle file ({sidecar.name}) sits next to the video, so its timing is used"
    skipped: list[str] = []
    for engine in engines:
        if engine.name == "sidecar":
            skipped.append("sidecar (no .srt/.vtt next to the video)")
            continue
        ok, why = engine.available()
        if ok:
            reason = f"auto: {engine.name} is the first available engine ({why})"
            if skipped:
                reason += "; skipped " + ", ".join(skipped)
            return engine, reason
        skipped.append(f"{engine.name} ({why})")
    raise EngineUnavailableError(
        "no transcription engine can run for this video (" + "; ".join(skipped)
        + "); install pocketsphinx or drop a .srt/.vtt next to the video."
    )
