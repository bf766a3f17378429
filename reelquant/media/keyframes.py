"""Sample still frames from a video at a fixed interval, as small PNGs for previews and slide reading."""

from __future__ import annotations

from pathlib import Path

import av

from reelquant.media.probe import InvalidVideoError


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
    try:
        container = av.open(str(video))
    except (av.error.FFmpegError, FileNotFoundError) as exc:
        raise InvalidVideoError(f"{video} cannot be opened ({exc.__class__.__name__}); "
                                "check that it is a playable video.") from None
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
