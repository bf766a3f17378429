"""The transcriber resource: one interface over the speech engines, each model loaded once per process."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal

import dagster as dg

from reelquant.speech.engines import PocketsphinxEngine, SidecarEngine, select_engine
from reelquant.speech.transcript import Transcript

EngineName = Literal["auto", "sidecar", "pocketsphinx"]


@functools.cache
def _engines() -> tuple:
    # One instance per process: engines load their models lazily and keep them.
    return (SidecarEngine(), PocketsphinxEngine())


class TranscriberResource(dg.ConfigurableResource):
    """Speech to text. `auto` takes a sidecar subtitle file when one came with the video, else the
    best engine usable here, and records which engine it used and why."""

    engine: EngineName = "auto"

    def transcribe(self, wav: Path, video: Path) -> Transcript:
        chosen, reason = select_engine(self.engine, video, list(_engines()))
        transcript = chosen.transcribe(wav, video)
        transcript.reason = reason
        return transcript
