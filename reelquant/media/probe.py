"""Inspect a dropped video file: streams, codecs, duration, size and content hash, or a clear reason it is unusable."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av


class InvalidVideoError(ValueError):
    """A file that cannot be processed as a lesson video; the message says why and what to do."""


@dataclass
class VideoProbe:
    path: str
    size_bytes: int
    sha256: str
    duration_s: float
    container: str
    video_codec: str | None
    audio_codec: str | None
    width: int | None
    height: int | None
    fps: float | None
    audio_sample_rate: int | None
    audio_channels: int | None
    has_video: bool
    has_audio: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def sha256_file(path: str | Path, chunk_size: int = 1 << 20) -> str:
    """The hex SHA-256 of a file, read in chunks so any size fits in memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def _stream_duration(stream: av.stream.Stream) -> float:
    if stream.duration is None or stream.time_base is None:
        return 0.0
    return float(stream.duration * stream.time_base)


def probe_video(path: str | Path, require_audio: bool = True) -> VideoProbe:
    """Read the container header of `path` and describe it.

    Raises InvalidVideoError for a missing, empty, corrupt or zero-length file and, when
    `require_audio` is true, for a file without sound (there would be nothing to transcribe).
    """
    path = Path(path)
    if not path.is_file():
        raise InvalidVideoError(f"{path} does not exist; check the path and drop the video again.")
    size = path.stat().st_size
    if size == 0:
        raise InvalidVideoError(f"{path} is an empty file (0 bytes); copy the video again, the transfer failed.")
    try:
        container = av.open(str(path), mode="r")
    except (av.error.FFmpegError, UnicodeDecodeError) as exc:
        raise InvalidVideoError(
            f"{path} is not a readable media file ({exc.__class__.__name__}); drop an mp4, mkv, mov or webm video."
        ) from None
    try:
        vstreams = list(container.streams.video)
        astreams = list(container.streams.audio)
        if not vstreams and not astreams:
            raise InvalidVideoError(
                f"{path} holds no audio or video stream; drop an mp4, mkv, mov or webm video."
            )
        vs = vstreams[0] if vstreams else None
        as_ = astreams[0] if astreams else None
        duration = float(container.duration) / av.time_base if container.duration else 0.0
        if duration <= 0:
            duration = max([_stream_duration(s) for s in vstreams + astreams] or [0.0])
        fps = None
        if vs is not None:
            rate = vs.average_rate or vs.guessed_rate
            fps = float(Fraction(rate)) if rate else None
        probe = VideoProbe(
            path=str(path.resolve()),
            size_bytes=size,
            sha256=sha256_file(path),
            duration_s=round(duration, 3),
            container=container.format.name,
            video_codec=vs.codec_context.name if vs is not None else None,
            audio_codec=as_.codec_context.name if as_ is not None else None,
            width=vs.codec_context.width if vs is not None else None,
            height=vs.codec_context.height if vs is not None else None,
            fps=round(fps, 3) if fps else None,
            audio_sample_rate=as_.codec_context.sample_rate if as_ is not None else None,
            audio_channels=as_.codec_context.channels if as_ is not None else None,
            has_video=vs is not None,
            has_audio=as_ is not None,
        )
    finally:
        container.close()
    if probe.duration_s <= 0:
        raise InvalidVideoError(f"{path} has a duration of zero seconds; drop a video that actually plays.")
    if require_audio and not probe.has_audio:
        raise InvalidVideoError(
            f"{path} has no audio stream, so there is no speech to transcribe; drop a video with sound."
        )
    return probe
