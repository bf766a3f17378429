"""Whisper engines: faster-whisper on CPU (int8, batched) and WhisperX on GPU (batched, VAD, word alignment).

Both read the 16 kHz mono WAV in windows cut at silences, so a long lecture never sits in memory
whole, and both turn their output into the project's Transcript with times inside the audio.
"""

from __future__ import annotations

import base64
import functools
import importlib.util
import re
import threading
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from reelquant.media.audio import read_wav_info, speech_regions
from reelquant.speech.engines import EngineUnavailableError, TranscriptionError
from reelquant.speech.transcript import Segment, Transcript, Word

SAMPLE_RATE = 16000


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
    """faster-whisper (CTranslate2) with its batched pipeline: CPU int8 by default, word timestamps.

    `model` is a local CTranslate2 Whisper directory, or a model name already in the local
    Hugging Face cache; nothing is downloaded. The model is loaded once per instance.
    """

    name = "faster_whisper"

    def __init__(self, model: str | Path | None = None, device: str = "cpu", compute_type: str = "int8",
                 batch_size: int = 8, language: str | None = None, window_s: float = 600.0,
                 cpu_threads: int = 0) -> None:
        self.model = str(model) if model else ""
        self.device = device
        self.compute_type = compute_type
        self.batch_size = batch_size
        self.language = language
        self.window_s = window_s
        self.cpu_threads = cpu_threads
        self._pipeline: Any = None
        self.loads = 0
        self._lock = threading.Lock()

    def _resolve(self) -> tuple[str | None, str]:
        """(local model directory or None, why not)."""
        if not self.model:
            return None, ("no faster_whisper model is configured; set faster_whisper_model to a local "
                          "CTranslate2 Whisper directory")
        path = Path(self.model).expanduser()
        if path.exists():
            if (path / "model.bin").is_file():
                return str(path), ""
            return None, f"{path} holds no CTranslate2 Whisper model (model.bin is missing)"
        try:
            from faster_whisper.utils import download_model

            return download_model(self.model, local_files_only=True), ""
        except Exception:
            return None, (f"the faster_whisper model {self.model!r} is neither a local directory nor in the local "
                          "model cache, and nothing is downloaded here; point faster_whisper_model at a local "
                          "CTranslate2 directory")

    def available(self) -> tuple[bool, str]:
        try:
            import faster_whisper  # noqa: F401
        except ImportError:
            return False, "the faster-whisper package is not installed"
        path, why = self._resolve()
        if path is None:
            return False, why
        return True, f"faster-whisper {self.compute_type} on {self.device} with the model at {path}"

    def _get_pipeline(self) -> Any:
        if self._pipeline is None:
            ok, why = self.available()
            if not ok:
                raise EngineUnavailableError(f"faster_whisper cannot run: {why}.")
            from faster_whisper import BatchedInferencePipeline, WhisperModel

            path, _ = self._resolve()
            model = WhisperModel(path, device=self.device, compute_type=self.compute_type,
                                 cpu_threads=self.cpu_threads, local_files_only=True)
            self._pipeline = BatchedInferencePipeline(model)
            self.loads += 1
        return self._pipeline

    def transcribe(self, wav: Path, video: Path | None = None) -> Transcript:
        ok, why = self.available()
        if not ok:
            raise EngineUnavailableError(f"faster_whisper cannot run: {why}.")
        wav = Path(wav)
        duration = _check_wav(wav, "faster_whisper")
        segments: list[Segment] = []
        languages: dict[str, float] = {}
        with self._lock:
            pipeline = None
            for offset, audio in audio_windows(wav, self.window_s):
                if audio.size < SAMPLE_RATE // 10:
                    continue
                pipeline = pipeline or self._get_pipeline()
                pieces, info = pipeline.transcribe(audio, language=self.language, batch_size=self.batch_size,
                                                   word_timestamps=True, vad_filter=True)
                end_of_window = offset + audio.size / SAMPLE_RATE
                for piece in pieces:
                    start = min(offset + piece.start, end_of_window)
                    end = min(max(offset + piece.end, start), end_of_window)
                    words = [Word(text=w.word.strip(), start=offset + w.start, end=offset + w.end,
                                  confidence=round(float(w.probability), 4))
                             for w in (piece.words or []) if w.word.strip()]
                    if piece.text.strip():
                        segments.append(_segment(len(segments), start, end, piece.text, words))
                languages[info.language] = languages.get(info.language, 0.0) + audio.size
        warnings = [] if segments else ["no speech was found in the audio"]
        language = max(languages, key=languages.get) if languages else (self.language or "en")
        return Transcript(segments=segments, engine=self.name, model=f"{Path(self.model).name} ({self.compute_type})",
                          language=language, duration_s=round(duration, 3), warnings=warnings)


# A tiny Whisper with random weights and the real tokenizer, built offline.


def _whisper_package_dir() -> Path:
    spec = importlib.util.find_spec("whisper")
    if spec is None or not spec.submodule_search_locations:
        raise EngineUnavailableError(
            "the openai-whisper package, whose tokenizer ranks build the tiny Whisper, is not installed; "
            "pip install openai-whisper --no-deps."
        )
    return Path(list(spec.submodule_search_locations)[0])


def _bytes_to_unicode() -> dict[int, str]:
    # GPT-2's reversible byte-to-character map, which byte-level BPE vocabularies are written in.
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs), strict=True))


@functools.cache
def whisper_tokenizer(n_languages: int = 99) -> tuple[Any, list[str]]:
    """The multilingual Whisper tokenizer as a `tokenizers.Tokenizer`, built from tiktoken ranks.

    Merges are recovered the way tiktoken applies them: a token of rank r is the pair that BPE
    over its bytes, with only ranks below r allowed, ends on. Special tokens follow Whisper's order.
    Cached: treat the result as read-only.
    """
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers

    root = _whisper_package_dir()
    ranks: dict[bytes, int] = {}
    for line in (root / "assets" / "multilingual.tiktoken").read_text().splitlines():
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    b2u = _bytes_to_unicode()

    def enc(b: bytes) -> str:
        return "".join(b2u[x] for x in b)

    merges = []
    for token, rank in sorted(ranks.items(), key=lambda kv: kv[1]):
        if len(token) < 2:
            continue
        parts = [bytes([x]) for x in token]
        while True:
            best = min(((ranks[parts[i] + parts[i + 1]], i) for i in range(len(parts) - 1)
                        if ranks.get(parts[i] + parts[i + 1], rank) < rank), default=None)
            if best is None:
                break
            i = best[1]
            parts[i:i + 2] = [parts[i] + parts[i + 1]]
        assert len(parts) == 2, token
        merges.append((enc(parts[0]), enc(parts[1])))
    source = (root / "tokenizer.py").read_text()
    codes = re.findall(r'^\s*"([a-z]+)":', re.search(r"LANGUAGES = \{(.*?)\n\}", source, re.S).group(1), re.M)
    tok = Tokenizer(models.BPE(vocab={enc(t): r for t, r in ranks.items()}, merges=merges))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    specials = ["<|endoftext|>", "<|startoftranscript|>", *[f"<|{c}|>" for c in codes[:n_languages]],
                "<|translate|>", "<|transcribe|>", "<|startoflm|>", "<|startofprev|>", "<|nospeech|>",
                "<|notimestamps|>", *[f"<|{i * 0.02:.2f}|>" for i in range(1501)]]
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    return tok, codes[:n_languages]


def build_random_whisper(out_dir: str | Path, seed: int = 0) -> Path:
    """A Whisper with tiny's dimensions and random weights, in CTranslate2 int8 format, under `out_dir`.

    A real stand-in for tests and benchmarks: it loads and runs through faster-whisper exactly as a
    trained model does (same tokenizer, same shapes, same cost), but its text is junk.
    """
    import ctranslate2
    import torch
    from transformers import (
        GenerationConfig,
        PreTrainedTokenizerFast,
        WhisperConfig,
        WhisperForConditionalGeneration,
    )

    tok, codes = whisper_tokenizer()
    root = Path(out_dir)
    hf = root / "hf"
    torch.manual_seed(seed)
    config = WhisperConfig(vocab_size=51865, num_mel_bins=80, d_model=384, encoder_layers=4, decoder_layers=4,
                           encoder_attention_heads=6, decoder_attention_heads=6, encoder_ffn_dim=1536,
                           decoder_ffn_dim=1536, max_source_positions=1500, max_target_positions=448,
                           decoder_start_token_id=50258, eos_token_id=50257, pad_token_id=50257,
                           bos_token_id=50257)
    WhisperForConditionalGeneration(config).save_pretrained(hf)
    PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|endoftext|>", bos_token="<|endoftext|>",
                            unk_token="<|endoftext|>").save_pretrained(hf)
    GenerationConfig(decoder_start_token_id=50258, eos_token_id=50257,
                     lang_to_id={f"<|{c}|>": tok.token_to_id(f"<|{c}|>") for c in codes}).save_pretrained(hf)
    out = root / "ct2"
    ctranslate2.converters.TransformersConverter(str(hf), copy_files=["tokenizer.json"]).convert(
        str(out), quantization="int8", force=True)
    return out


def transcript_from_whisperx(result: dict[str, Any], duration_s: float = 0.0, offset_s: float = 0.0,
                             model: str = "", language: str | None = None) -> Transcript:
    """Turn the dict whisperx returns (`transcribe`, then optionally `align`) into a Transcript.

    Aligned segments carry words with start/end/score; words whisperx could not place (digits,
    symbols) and every word of an unaligned result get times spread over their segment in
    proportion to their length, and the transcript records a warning when nothing was aligned.
    """
    segments: list[Segment] = []
    aligned_any = False
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
        weights = np.array([len(t) + 1 for t, _ in tokens], dtype=float)
        bounds = start + (end - start) * np.concatenate([[0.0], np.cumsum(weights)]) / max(weights.sum(), 1.0)
        words: list[Word] = []
        for i, (token, w) in enumerate(tokens):
            if w.get("start") is not None and w.get("end") is not None:
                aligned_any = True
                score = w.get("score")
                words.append(Word(text=token, start=offset_s + float(w["start"]), end=offset_s + float(w["end"]),
                                  confidence=None if score is None else round(float(score), 4)))
            else:
                words.append(Word(text=token, start=float(bounds[i]), end=float(bounds[i + 1])))
        segments.append(_segment(len(segments), start, end, text, words))
    warnings: list[str] = []
    if segments and not aligned_any:
        warnings.append("no word alignment was available: word times are spread evenly over each segment")
    if not segments:
        warnings.append("no speech was found in the audio")
    if not duration_s and segments:
        duration_s = segments[-1].end
    return Transcript(segments=segments, engine="whisperx", model=model,
                      language=language or str(result.get("language") or "en"),
                      duration_s=round(duration_s, 3), warnings=warnings)


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
