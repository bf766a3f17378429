"""`reelquant doctor` on this machine: what it finds usable, and the reasons it gives for what is not."""

from __future__ import annotations

import argparse
import importlib.util
import json
from pathlib import Path

import pytest

from reelquant.speech.doctor import diagnose, format_table, register

ENGINES = ["sidecar", "whisperx", "faster_whisper", "pocketsphinx", "embedder", "ffmpeg (moviepy)", "cuda"]


def test_rows_cover_every_engine_in_auto_order() -> None:
    rows = diagnose()
    assert [r["engine"] for r in rows] == ENGINES
    assert all(set(r) == {"engine", "usable", "model", "device", "why"} and r["why"] for r in rows)
    by = {r["engine"]: r for r in rows}
    assert by["sidecar"]["usable"]
    if importlib.util.find_spec("pocketsphinx") is not None:
        assert by["pocketsphinx"]["usable"] and Path(by["pocketsphinx"]["model"]).is_dir()
    # The default model is Whisper base from its packages, and the row says where it is and that it was checked.
    assert by["faster_whisper"]["usable"] and by["faster_whisper"]["model"].startswith("base: ")
    assert "Whisper base" in by["faster_whisper"]["why"] and "sha256" in by["faster_whisper"]["why"]
    if importlib.util.find_spec("whisperx") is None:
        assert not by["whisperx"]["usable"] and "not installed" in by["whisperx"]["why"]
    if by["ffmpeg (moviepy)"]["usable"]:
        assert Path(by["ffmpeg (moviepy)"]["model"]).is_file()


def test_bad_paths_are_reported_not_raised(tmp_path: Path) -> None:
    by = {r["engine"]: r for r in diagnose(faster_whisper_model=str(tmp_path), pocketsphinx_model=str(tmp_path),
                                           embedder_model=str(tmp_path / "missing" / "model"))}
    assert not by["faster_whisper"]["usable"] and "model.bin" in by["faster_whisper"]["why"]
    assert not by["pocketsphinx"]["usable"] and str(tmp_path) in by["pocketsphinx"]["why"]
    assert not by["embedder"]["usable"]


def test_cuda_row_names_each_missing_library(monkeypatch: pytest.MonkeyPatch) -> None:
    from reelquant.speech import doctor

    monkeypatch.setattr(doctor, "CUDA_LIBRARIES", (("libc.so.6", "the C library", "-"),
                                                   ("libcublas.so.99", "cuBLAS 99", "pip install cublas-99")))
    assert doctor.missing_cuda_libraries() == [("libcublas.so.99", "cuBLAS 99", "pip install cublas-99")]
    cuda = {r["engine"]: r for r in diagnose()}["cuda"]
    assert not cuda["usable"] and cuda["why"] == "cuBLAS 99 (libcublas.so.99) is missing: pip install cublas-99"


def test_cli_prints_json_and_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="reelquant")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["doctor", "--json"])
    rc = args.func(args)
    rows = json.loads(capsys.readouterr().out)
    assert [r["engine"] for r in rows] == ENGINES
    assert rc == (0 if any(r["usable"] for r in rows if r["engine"] in ENGINES[1:4]) else 1)
    table = format_table(rows)
    assert table.splitlines()[0].split()[:4] == ["engine", "usable", "device", "model"]
    assert len(table.splitlines()) == len(ENGINES) + 1
