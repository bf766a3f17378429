"""Still frames from a video as small PNGs: sampled at a fixed interval, or one per slide by scene-change detection."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from reelquant.media.probe import InvalidVideoError


def _open(video: Path) -> av.container.InputContainer:
    try:
        return av.open(str(video))
    except (av.error.FFmpegError, FileNotFoundError) as exc:
        raise InvalidVideoError(f"{video} cannot be opened ({exc.__class__.__name__}); "
                                "check that it is a playable video.") from None


def extract_keyframes(video: str | Path, out_dir: str | Path, every_s: float = 5.0,
                      max_width: int = 640) -> list[dict]:
    """One PNG every `every_s` seconds (starting at 0), scaled to at most `max_width` wide.

    Seeks to each sample time instead of decoding every frame, so long videos cost one
    GOP per sample. Returns [{"t": seconds of the frame, "path": png path}, ...].
    """
    if every_s <= 0:
        raise ValueError(f"every_s must be positive, got {every_s}; pass a sampling interval in seconds.")
    video, out_dir = Path(video), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    container = _open(video)
    frames: list[dict] = []
    try:
        if not container.streams.video:
            return []
        stream = container.streams.video[0]
        duration = float(container.duration) / av.time_base if container.duration else 0.0
        tb = stream.time_base
        target = 0.0
        last_pts = None
        while target <= max(duration, 0.0) or not frames:
            container.seek(int(target / tb), stream=stream, backward=True, any_frame=False)
            picked = None
            for frame in container.decode(stream):
                if frame.time is None:
                    continue
                picked = frame
                if frame.time >= target - 1e-3:
                    break
            if picked is None or picked.pts == last_pts:
                break
            last_pts = picked.pts
            img = picked.to_image()
            if img.width > max_width:
                img = img.resize((max_width, round(img.height * max_width / img.width)))
            t = round(float(picked.time), 3)
            path = out_dir / f"frame_{len(frames):05d}_{t:09.3f}s.png"
            img.save(path, optimize=True)
            frames.append({"t": t, "path": str(path)})
            target += every_s
    finally:
        container.close()
    return frames


def _thumb(frame: av.VideoFrame, size: tuple[int, int]) -> np.ndarray:
    return frame.reformat(width=size[0], height=size[1], format="gray").to_ndarray().astype(np.int16)


def _changed(a: np.ndarray, b: np.ndarray, level: int) -> float:
    """Share of thumbnail pixels whose brightness moved by more than `level` (0-255)."""
    return float((np.abs(a - b) > level).mean())


def extract_slide_keyframes(
    video: str | Path,
    out_dir: str | Path,
    change: float = 0.005,
    duplicate: float = 0.0025,
    fallback_every_s: float = 30.0,
    analysis_fps: float = 2.0,
    max_width: int = 640,
    level: int = 24,
) -> list[dict]:
    """One PNG per slide: frames where the picture changes, near-duplicates dropped, periodic fallback.

    Frames are compared as 96x54 grey thumbnails, `analysis_fps` per second: a frame opens a new
    scene when more than `change` of its pixels moved by more than `level` since the previous
    analysed frame. Compression noise moves almost no pixel by that much, a new slide moves a few
    percent. A candidate is dropped when it differs from an already kept frame in under `duplicate`
    of its pixels (a slide shown again). When nothing changed for `fallback_every_s`, the current
    frame is kept anyway unless it duplicates the last kept one, so slow pans and talking heads are
    still sampled. Returns [{"t", "path", "reason": "first|scene_change|periodic", "changed"}, ...].
    """
    if change <= 0 or analysis_fps <= 0 or fallback_every_s <= 0:
        raise ValueError("change, analysis_fps and fallback_every_s must be positive; pass sensible thresholds.")
    video, out_dir = Path(video), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    container = _open(video)
    size = (96, 54)
    kept: list[dict] = []
    kept_thumbs: list[np.ndarray] = []
    try:
        if not container.streams.video:
            return []
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        prev: np.ndarray | None = None
        last_t = -1e9
        last_kept_t = -1e9
        for frame in container.decode(stream):
            t = frame.time
            if t is None or t - last_t < 1.0 / analysis_fps - 1e-6:
                continue
            last_t = t
            thumb = _thumb(frame, size)
            reason = None
            score = 0.0
            if prev is None:
                reason = "first"
            else:
                score = _changed(thumb, prev, level)
                if score > change:
                    reason = "scene_change"
                elif t - last_kept_t >= fallback_every_s:
                    reason = "periodic"
            prev = thumb
            if reason is None:
                continue
            if reason == "periodic":
                # Only the last kept frame matters here: a slide left up for minutes is not new.
                if _changed(thumb, kept_thumbs[-1], level) < duplicate:
                    last_kept_t = t
                    continue
            elif kept_thumbs and min(_changed(thumb, k, level) for k in kept_thumbs) < duplicate:
                continue
            img = frame.to_image()
            if img.width > max_width:
                img = img.resize((max_width, round(img.height * max_width / img.width)))
            t_r = round(float(t), 3)
            path = out_dir / f"slide_{len(kept):05d}_{t_r:09.3f}s.png"
            img.save(path, optimize=True)
            kept.append({"t": t_r, "path": str(path), "reason": reason, "changed": round(score, 4)})
            kept_thumbs.append(thumb)
            last_kept_t = t
    except av.error.FFmpegError as exc:
        if not kept:
            raise InvalidVideoError(f"the picture of {video} cannot be decoded ({exc.__class__.__name__}); "
                                    "re-export or re-download the video.") from None
    finally:
        container.close()
    return kept
