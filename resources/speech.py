"""The transcriber resource: one interface over the speech engines, each model loaded once per process."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal

import dagster as dg

from reelquant.speech.engines import PocketsphinxEngine, SidecarEngine, select_engine
from reelquant.speech.models import DEFAULT_MODEL
from reelquant.speech.transcript import Transcript
from reelquant.speech.whisper import FasterWhisperEngine, WhisperXEngine

EngineName = Literal["auto", "sidecar", "whisperx", "faster_whisper", "pocketsphinx"]
# Engines `auto` falls back to when nothing better is usable; their transcripts get a warning check.
FALLBACK_ENGINES = frozenset({"pocketsphinx"})


@functools.cache
def _engines(faster_whisper_model: str, whisperx_model: str, device: str, compute_type: str,
             batch_size: int, pocketsphinx_language_model: str, lm_cache_dir: str, hotwords: bool = True,
             translate: bool = True) -> tuple:
    # One instance per process and configuration: engines load their models lazily and keep them.
    # 0 leaves each engine its own batch size (WhisperX's for a GPU, faster-whisper's for the CPU's memory).
    batch = {"batch_size": batch_size} if batch_size else {}
    return (
        SidecarEngine(),
        WhisperXEngine(whisperx_model, device=device or "cuda", compute_type=compute_type or "float16", **batch),
        FasterWhisperEngine(faster_whisper_model or DEFAULT_MODEL,
                            device="cpu" if not device or device.startswith("cuda") else device,
                            compute_type=compute_type or "int8", hotwords=hotwords, translate=translate, **batch),
        PocketsphinxEngine(language_model=pocketsphinx_language_model, lm_cache_dir=lm_cache_dir or None),
    )


class TranscriberResource(dg.ConfigurableResource):
    """Speech to text. `auto` takes a sidecar subtitle file when one came with the video, then WhisperX on
    CUDA, then faster-whisper (Whisper base from its packages by default), then pocketsphinx, and records
    which and why."""

    engine: EngineName = "auto"
    # "base" or "tiny.en" (assembled from their PyPI packages), a local CTranslate2 folder, or a hub name.
    faster_whisper_model: str = DEFAULT_MODEL
    # Prime Whisper with the registry's and lexicon's trading words (reelquant.speech.hotwords).
    hotwords: bool = True
    # Translate a lesson spoken in another language to English for rule reading (the original is kept).
    translate: bool = True
    whisperx_model: str = "large-v3"
    device: str = ""
    compute_type: str = ""
    batch_size: int = 0
    # The trading model (phrases of the registry's and lexicon's vocabulary interpolated with the English model's
    # bigrams) heard 14 Festival-voiced shared lessons with 17.3 % word errors against 20.6 % for `default`,
    # pocketsphinx's own English model (bench/asr.py prints both beside Whisper).
    pocketsphinx_language_model: Literal["trading", "default"] = "trading"
    lm_cache_dir: str = ""

    def engines(self) -> list:
        """The engines this configuration can choose from, in the order `auto` ranks them (models load lazily)."""
        return list(_engines(self.faster_whisper_model, self.whisperx_model, self.device, self.compute_type,
                             self.batch_size, self.pocketsphinx_language_model, self.lm_cache_dir,
                             self.hotwords, self.translate))

    def transcribe(self, wav: Path, video: Path) -> Transcript:
        chosen, reason = select_engine(self.engine, video, self.engines())
        transcript = chosen.transcribe(wav, video)
        transcript.reason = reason
        return transcript
