"""Embedding model and vector store resources for searching everything that was taught."""

from __future__ import annotations

import functools
from pathlib import Path

import dagster as dg
import numpy as np

from reelquant.search.embed import embed_texts, embedding_dim, load_embedder
from reelquant.search.store import VectorStore


@functools.cache
def _model(model_name: str, device: str):
    return load_embedder(model_name, device=device)


class EmbedderResource(dg.ConfigurableResource):
    """sentence-transformers model, resolved offline; loaded once per process and shared."""

    model_name: str = "all-MiniLM-L6-v2"
    device: str = "cpu"
    batch_size: int = 64

    def model(self):
        return _model(self.model_name, self.device)

    @property
    def dim(self) -> int:
        return embedding_dim(self.model())

    def encode(self, texts: list[str]) -> np.ndarray:
        return embed_texts(self.model(), texts, batch_size=self.batch_size)


class LanceDBResource(dg.ConfigurableResource):
    """LanceDB at a URI: a local folder by default, object storage in production."""

    uri: str = ".reelquant/lancedb"

    def store(self, model_name: str, dim: int) -> VectorStore:
        uri = self.uri if "://" in self.uri else str(Path(self.uri).expanduser().absolute())
        return VectorStore(uri, model_name=model_name, dim=dim)
