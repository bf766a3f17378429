"""Choose the moments of a lesson worth watching (where a rule was said, where trading terms cluster)
and cut them into small subtitled MP4 clips with thumbnails."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from PIL import Image

from reelquant.media.fonts import dejavu_font_path
from reelquant.speech.transcript import Segment, Transcript


@dataclass
class _Window:
    start: float
    end: float
    reasons: list[str] = field(default_factory=list)


def _snap(start: float, end: float, segments: list[Segment]) -> tuple[float, float]:
    """Widen [start, end] to whole segments so a clip never begins or ends mid-sentence."""
    new_start, new_end = start, end
    for seg in segments:
        if seg.start <= start < seg.end:
            new_start = seg.start
        if seg.start < end <= seg.end:
            new_end = seg.end
    if new_start == start:
        following = [s.start for s in segments if s.start >= start and s.start < end]
        new_start = min(following) if following else start
    if new_end == end:
        preceding = [s.end for s in segments if s.end <= end and s.end > new_start]
        new_end = max(preceding) if preceding else end
    return new_start, max(new_end, new_start)


def _densest_keyword_windows(hits: pd.DataFrame | None, window_s: float) -> list[tuple[float, float, str, int]]:
    """Greedy: the window of `window_s` holding the most hits, remove them, repeat."""
    if hits is None or len(hits) == 0:
        return []
    rows = hits.sort_values("start_s")[["start_s", "end_s", "canonical_id"]].itertuples(index=False)
    remaining = [(float(r.start_s), float(r.end_s), str(r.canonical_id)) for r in rows]
    out: list[tuple[float, float, str, int]] = []
    while remaining:
        best_i, best_n, best_k = 0, -1, -1
        for i, (t0, _, _) in enumerate(remaining):
            inside = [h for h in remaining if t0 <= h[0] <= t0 + window_s]
            n, k = len(inside), len({h[2] for h in inside})
            if (n, k) > (best_n, best_k):
                best_i, best_n, best_k = i, n, k
        t0 = remaining[best_i][0]
        inside = [h for h in remaining if t0 <= h[0] <= t0 + window_s]
        terms = sorted({h[2] for h in inside})
        reason = f"{len(inside)} trading term{'s' if len(inside) != 1 else ''}: {', '.join(terms[:6])}"
        out.append((t0, max(h[1] for h in inside), reason, len(inside)))
        remaining = [h for h in remaining if h not in inside]
    return out


def _merge_overlapping(windows: list[_Window]) -> list[_Window]:
    merged: list[_Window] = []
    for w in sorted(windows, key=lambda x: x.start):
        if merged and w.start <= merged[-1].end:
            merged[-1].end = max(merged[-1].end, w.end)
            merged[-1].reasons += [r for r in w.reasons if r not in merged[-1].reasons]
        else:
            merged.append(_Window(w.start, w.end, list(w.reasons)))
    return merged


def _text_between(segments: list[Segment], start: float, end: float) -> str:
    """Text of the segments whose middle lies in the window (padding only grazes its neighbours)."""
    return " ".join(
        s.text.strip() for s in segments if start <= (s.start + s.end) / 2 <= end and s.text.strip()
    )


def highlight_windows(
    hits: pd.DataFrame | None,
    transcript: Transcript,
    spec_provenance: list[dict] | None,
    duration_s: float,
    max_clips: int = 5,
    pad_s: float = 1.0,
    window_s: float = 20.0,
) -> list[dict]:
    """Windows to cut into clips: one per provenance entry of the strategy, then the densest keyword windows.

    Boundaries are snapped to segment starts/ends, padded by `pad_s`, clamped to the video and
    merged where they overlap; at most `max_clips` windows, rule-bearing ones first, sorted by time.
    Returns [{"start_s", "end_s", "reason", "text"}, ...].
    """
    segments = sorted(transcript.segments, key=lambda s: s.start)
    candidates: list[tuple[float, float, str]] = []
    for p in spec_provenance or []:
        candidates.append((float(p["start_s"]), float(p["end_s"]), f"rule {p.get('part', '')}".strip()))
    for start, end, reason, _ in _densest_keyword_windows(hits, window_s):
        candidates.append((start, end, reason))

    chosen: list[_Window] = []
    for start, end, reason in candidates:
        s, e = _snap(start, max(end, start), segments)
        s, e = max(0.0, s - pad_s), min(float(duration_s), e + pad_s)
        if e <= s:
            continue
        overlaps = any(s <= w.end and e >= w.start for w in chosen)
        if not overlaps and len(chosen) >= max_clips:
            continue
        chosen = _merge_overlapping(chosen + [_Window(s, e, [reason])])
    return [
        {"start_s": round(w.start, 3), "end_s": round(w.end, 3),
         "reason": "; ".join(sorted(w.reasons, key=lambda r: not r.startswith("rule"))),
         "text": _text_between(segments, w.start, w.end)}
        for w in chosen
    ]


def render_clips(
    video: str | Path,
    windows: list[dict],
    transcript: Transcript,
    out_dir: str | Path,
    max_width: int = 640,
    thumb_width: int = 320,
) -> list[dict]:
    """Cut each window out of `video` with its subtitles burned in (H.264 + AAC, small) and a PNG thumbnail.

    Returns [{"start_s", "end_s", "reason", "path", "thumbnail", "text"}, ...].
    """
    from moviepy import CompositeVideoClip, TextClip, VideoFileClip

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    font = str(dejavu_font_path())
    results: list[dict] = []
    with VideoFileClip(str(video)) as source:
        src = source.resized(width=max_width) if source.w > max_width else source
        width, height = src.size
        for i, win in enumerate(windows):
            start = max(0.0, float(win["start_s"]))
            end = min(float(win["end_s"]), float(source.duration))
            if end - start < 0.2:
                continue
            piece = src.subclipped(start, end)
            layers = [piece]
            for seg in transcript.segments:
                s, e = max(seg.start, start), min(seg.end, end)
                if e - s <= 0.05 or not seg.text.strip():
                    continue
                caption = TextClip(
                    font=font, text=seg.text.strip(), font_size=max(12, height // 20), color="white",
                    bg_color=(0, 0, 0), method="caption", size=(int(width * 0.92), None),
                    text_align="center", margin=(6, 4),
                )
                top = max(0, height - caption.h - height // 24)
                layers.append(caption.with_start(s - start).with_duration(e - s).with_position(("center", top)))
            clip = CompositeVideoClip(layers, size=(width, height))
            if piece.audio is not None:
                clip = clip.with_audio(piece.audio)
            stem = f"clip_{i:02d}_{int(round(start * 1000)):08d}"
            path = out_dir / f"{stem}.mp4"
            thumb = out_dir / f"{stem}.png"
            fps = source.fps or 5
            clip.write_videofile(
                str(path), fps=fps, codec="libx264", audio_codec="aac", audio_bitrate="64k",
                preset="ultrafast", ffmpeg_params=["-crf", "30", "-pix_fmt", "yuv420p"],
                threads=2, logger=None,
            )
            frame = clip.get_frame(min(clip.duration / 2, max(0.0, clip.duration - 0.05)))
            img = Image.fromarray(frame)
            if img.width > thumb_width:
                img = img.resize((thumb_width, round(img.height * thumb_width / img.width)))
            img.save(thumb)
            # Close only the captions: closing the composite would close the source's shared
            # audio reader, and every later clip of this video would fail to read its sound.
            for layer in layers[1:]:
                layer.close()
            results.append({
                "start_s": round(start, 3), "end_s": round(end, 3), "reason": win.get("reason", ""),
                "path": str(path), "thumbnail": str(thumb),
                "text": win.get("text") or _text_between(transcript.segments, start, end),
            })
    return results
