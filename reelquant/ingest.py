"""Taking videos into the library: stable partition keys, the drop-folder protocol, rejection with reasons.

Nothing a user drops is ever deleted: an accepted file moves into the managed store, a refused
one moves to `rejected/` beside a `<name>.reason.txt` that says what was wrong and what to do.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from reelquant.media.probe import InvalidVideoError, probe_video, sha256_file

VIDEO_SUFFIXES = frozenset({".mp4", ".mkv", ".mov", ".webm", ".avi", ".m4v", ".mpg", ".mpeg", ".ts", ".flv", ".wmv"})
SIDECAR_SUFFIXES = (".srt", ".vtt", ".en.srt", ".en.vtt")
_SLUG_MAX = 48


def slugify(name: str, max_len: int = _SLUG_MAX) -> str:
    """Lower-case ASCII `[a-z0-9-]` slug of a file stem; never empty."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    slug = slug[:max_len].rstrip("-")
    return slug or "video"


def partition_key(path: Path, digest: str | None = None) -> str:
    """`<slug of stem, max 48>-<first 8 hex of sha256>`: same content and name, same key."""
    digest = digest or sha256_file(path)
    return f"{slugify(path.stem)}-{digest[:8]}"


def is_partition_key(key: str) -> bool:
    return bool(re.fullmatch(r"[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?-[0-9a-f]{8}", key))


def _unique_path(target: Path) -> Path:
    """`target`, or `target` with a counter before the suffix when that name is taken."""
    if not target.exists() and not target.is_symlink():
        return target
    for i in range(1, 10_000):
        candidate = target.with_name(f"{target.stem}.{i}{target.suffix}")
        if not candidate.exists() and not candidate.is_symlink():
            return candidate
    raise FileExistsError(f"too many files named like {target.name} in {target.parent}")


def sidecars_of(video: Path) -> list[Path]:
    """Subtitle files dropped beside a video (`lesson.srt`, `lesson.en.vtt`, ...)."""
    found = []
    for suffix in SIDECAR_SUFFIXES:
        candidate = video.with_name(video.stem + suffix)
        if candidate != video and candidate.is_file() and not candidate.is_symlink():
            found.append(candidate)
    return found


def reject(path: Path, rejected_dir: Path, reason: str) -> Path:
    """Move `path` (and its sidecars) to `rejected_dir` and write `<name>.reason.txt`. Returns the new path."""
    rejected_dir.mkdir(parents=True, exist_ok=True)
    target = _unique_path(rejected_dir / path.name)
    for sidecar in sidecars_of(path):
        shutil.move(str(sidecar), str(_unique_path(rejected_dir / sidecar.name)))
    if path.is_symlink():
        # Keep the link itself, never what it points to: the target is outside our folders.
        os.rename(path, target)
    else:
        shutil.move(str(path), str(target))
    target.with_name(target.name + ".reason.txt").write_text(reason.rstrip() + "\n", encoding="utf-8")
    return target


def store_video(path: Path, videos_dir: Path, key: str, *, move: bool) -> Path:
    """Place a video (and its sidecars) at `videos_dir/<key>/`, read-only; returns the managed path.

    The managed name is `<key><suffix>` so that nothing a user named a file (spaces, quotes,
    leading dashes, `..`) ever reaches a command line or a path join unescaped.
    """
    target_dir = videos_dir / key
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / f"{key}{path.suffix.lower()}"
    transfer = shutil.move if move else shutil.copy2
    for sidecar in sidecars_of(path):
        suffix = sidecar.name[len(path.stem):].lower()
        sc_target = target_dir / f"{key}{suffix}"
        if not sc_target.exists():
            transfer(str(sidecar), str(sc_target))
        elif move:
            sidecar.unlink()
    if target.exists():
        if move:
            path.unlink()  # byte-identical to the managed copy (same sha256 in the key)
        return target
    tmp = target.with_name(target.name + ".part")
    transfer(str(path), str(tmp))
    os.replace(tmp, target)
    target.chmod(0o444)
    (target_dir / "source.json").write_text(json.dumps({"original_name": path.name}), encoding="utf-8")
    return target


def managed_video(videos_dir: Path, key: str) -> Path:
    """The managed copy of partition `key`; one clear error if it is missing."""
    if not is_partition_key(key):
        raise ValueError(f"'{key}' is not a video partition key; keys look like 'lesson-name-1a2b3c4d'.")
    folder = videos_dir / key
    candidates = [p for p in folder.glob(f"{key}.*") if p.suffix.lower() in VIDEO_SUFFIXES] if folder.is_dir() else []
    if not candidates:
        raise FileNotFoundError(
            f"No managed video for partition '{key}' under {videos_dir}; drop the file into the inbox "
            "or run `reelquant process FILE` again."
        )
    return candidates[0]


def original_name(videos_dir: Path, key: str) -> str:
    meta = videos_dir / key / "source.json"
    if meta.is_file():
        return str(json.loads(meta.read_text(encoding="utf-8")).get("original_name", key))
    return key


@dataclass
class InboxState:
    """What the drop-folder watcher saw last tick: file name -> [size, mtime_ns]."""

    seen: dict[str, list[int]] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps({"seen": self.seen}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> InboxState:
        if not text:
            return cls()
        try:
            return cls(seen={k: list(v) for k, v in json.loads(text).get("seen", {}).items()})
        except (ValueError, AttributeError):
            return cls()


@dataclass
class InboxScan:
    stable: list[Path]
    waiting: list[Path]
    state: InboxState
    # Subtitle files with no video of their name in the inbox, unchanged for two ticks.
    orphans: list[Path] = field(default_factory=list)


def _subtitle_stem(name: str) -> str:
    lower = name.lower()
    suffix = max((s for s in SIDECAR_SUFFIXES if lower.endswith(s)), key=len)
    return name[: -len(suffix)]


def scan_inbox(inbox: Path, previous: InboxState) -> InboxScan:
    """Split inbox entries into those unchanged since the last tick (ready) and those still changing.

    A file is taken only when its size and mtime were the same on two ticks, so a copy in
    progress is never read half-written. Sidecar subtitles travel with their video and are not
    entries of their own; hidden and partial-download files are ignored.
    """
    stable: list[Path] = []
    waiting: list[Path] = []
    subtitles: list[Path] = []
    seen: dict[str, list[int]] = {}
    if not inbox.is_dir():
        return InboxScan(stable, waiting, InboxState())
    for entry in sorted(inbox.iterdir()):
        name = entry.name
        if name.startswith(".") or name.endswith((".part", ".crdownload", ".tmp", ".reason.txt")):
            continue
        if entry.is_dir() and not entry.is_symlink():
            continue
        try:
            st = entry.lstat()
        except FileNotFoundError:
            continue
        sig = [st.st_size, st.st_mtime_ns]
        seen[name] = sig
        if name.lower().endswith(SIDECAR_SUFFIXES):
            subtitles.append(entry)  # travels with its video; judged alone only if no video of its name is here
            continue
        (stable if previous.seen.get(name) == sig else waiting).append(entry)
    video_stems = {p.stem for p in stable + waiting}
    orphans = [p for p in subtitles
               if _subtitle_stem(p.name) not in video_stems and previous.seen.get(p.name) == seen[p.name]]
    return InboxScan(stable, waiting, InboxState(seen), orphans)


def admission_problem(path: Path, inbox: Path) -> str | None:
    """Why a dropped entry cannot even be probed (link out of the inbox, not a file, empty), or None."""
    if path.is_symlink():
        target = path.resolve()
        if not target.is_relative_to(inbox.resolve()):
            return (
                f"'{path.name}' is a link to {target}, outside the inbox; copy the video itself into the inbox."
            )
        return f"'{path.name}' is a symbolic link; copy the video itself into the inbox instead of linking it."
    if not path.is_file():
        return f"'{path.name}' is not a regular file; drop video files only."
    if path.stat().st_size == 0:
        return f"'{path.name}' is empty (0 bytes); the copy probably failed, so drop the file again."
    if path.suffix.lower() not in VIDEO_SUFFIXES:
        allowed = ", ".join(sorted(VIDEO_SUFFIXES))
        return f"'{path.name}' does not have a video file extension; drop one of: {allowed}."
    return None


@dataclass
class Admission:
    """What happened to one dropped file: `new` (a partition to run), `duplicate` or `rejected`."""

    status: str
    source_name: str
    key: str | None = None
    path: Path | None = None
    reason: str = ""


def admit(path: Path, inbox: Path, videos_dir: Path, rejected_dir: Path, known_keys: set[str]) -> Admission:
    """Validate one stable inbox entry and move it: into the store, or to `rejected/` with its reason.

    Never raises for a bad file; a duplicate of a known video is kept in `rejected/` with a
    reason that names the video it repeats.
    """
    name = path.name
    problem = admission_problem(path, inbox)
    if problem is None:
        try:
            probe = probe_video(path)
        except InvalidVideoError as exc:
            problem = f"'{name}' was not accepted: {exc}"
        except Exception as exc:  # a probe crash is still a file we cannot read, never a sensor crash
            problem = f"'{name}' could not be read as a video ({type(exc).__name__}); re-export it as MP4 and drop it again."
    if problem is not None:
        return Admission("rejected", name, path=reject(path, rejected_dir, problem), reason=problem)
    key = partition_key(path, probe.sha256)
    same = _same_content(key, known_keys, videos_dir)
    if same is not None:
        reason = f"'{name}' has the same content as video '{same}', which is already in the library; nothing to do."
        return Admission("duplicate", name, key=same, path=reject(path, rejected_dir, reason), reason=reason)
    return Admission("new", name, key=key, path=store_video(path, videos_dir, key, move=True))


def _same_content(key: str, known_keys: set[str], videos_dir: Path) -> str | None:
    """A known key with this content (same sha256 prefix), whatever the file was called."""
    if key in known_keys or (videos_dir / key).is_dir():
        return key
    suffix = key.rsplit("-", 1)[1]
    stored = {p.name for p in videos_dir.iterdir()} if videos_dir.is_dir() else set()
    for other in sorted(known_keys | stored):
        if other.endswith(f"-{suffix}"):
            return other
    return None
