"""One home for configuration per environment: `local` (embedded, default) and `docker`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dagster as dg

from resources import (
    BacktesterResource,
    EmbedderResource,
    LanceDBResource,
    MarketDataResource,
    MediaStoreResource,
    TranscriberResource,
)


def get_environment() -> str:
    return os.environ.get("REELQUANT_ENV", "local")


def data_root() -> Path:
    """Where the local environment keeps its instance and data: $REELQUANT_HOME or ./.reelquant."""
    return Path(os.environ.get("REELQUANT_HOME", ".reelquant")).expanduser().absolute()


def resources_for(environment: str | None = None, root: Path | None = None) -> dict[str, Any]:
    environment = environment or get_environment()
    if environment == "local":
        root = root or data_root()
        return {
            "media_store": MediaStoreResource(root=str(root)),
            # The trading language model is cached per machine (~/.cache/reelquant/lm), not per data root.
            "transcriber": TranscriberResource(engine="auto"),
            "embedder": EmbedderResource(),
            "vector_store": LanceDBResource(uri=str(root / "lancedb")),
            "market_data": MarketDataResource(source="bundled"),
            "backtester": BacktesterResource(),
        }
    if environment == "docker":
        return {
            "media_store": MediaStoreResource(root=dg.EnvVar("REELQUANT_DATA")),
            "transcriber": TranscriberResource(engine="auto", lm_cache_dir="/data/cache/lm",
                                               faster_whisper_model=dg.EnvVar("REELQUANT_FASTER_WHISPER_MODEL")),
            "embedder": EmbedderResource(device=dg.EnvVar("REELQUANT_EMBED_DEVICE")),
            "vector_store": LanceDBResource(uri=dg.EnvVar("REELQUANT_LANCEDB_URI")),
            "market_data": MarketDataResource(source=dg.EnvVar("REELQUANT_MARKET_DATA")),
            "backtester": BacktesterResource(),
        }
    raise ValueError(f"Unknown REELQUANT_ENV '{environment}'; use 'local' or 'docker'.")
