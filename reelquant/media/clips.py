"""Choose the moments of a lesson worth watching (where a rule was said, where trading terms cluster)
and cut them into small subtitled MP4 clips with thumbnails."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from PIL import Image

from reelquant.media.fonts import dejavu_font_path
from reelquant.speech.transcript import Segment, Transcript

_EPS = 1e-6
# Audio and video durations differ by a frame or two; a quiet stretch this close to an end of the
# video counts as reaching it.
_EDGE_S = 0.05


@dataclass
class _Window:
    start: float
    end: float
    reasons: list[str] = field(default_factory=list)
    start_cut: str = "padding"
    end_cut: str = "padding"


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


def _heard_spans(segments: list[Segment]) -> list[tuple[float, float]]:
    """What the recognizer heard as (start, end): words where it timed them, else whole segments."""
    spans: list[tuple[float, float]] = []
    for seg in segments:
        if seg.words:
            spans += [(float(w.start), float(w.end)) for w in seg.words]
        elif seg.text.strip():
            spans.append((float(seg.start), float(seg.end)))
    return spans


def _into_gap(b: float, pad: float, lo: float, hi: float) -> float:
    """A cut at most `pad` before `b`, inside the quiet stretch [lo, hi] in front of the window's speech.

    When the stretch is too short for the whole padding, cut in its middle: its start is where
    the previous speech stops. A stretch that begins at the edge of the video has no speech to avoid.
    """
    if b - pad >= lo or lo <= _EDGE_S:
        return max(min(b - pad, hi), 0.0)
    return (lo + hi) / 2


def _cut_before(
    b: float, pad: float, silences: list[tuple[float, float]] | None, heard: list[tuple[float, float]],
    at_sentence: bool = True,
) -> tuple[float, str]:
    """Where to cut a window whose speech starts at `b`, and how that place was found.

    First the silence that precedes `b` within reach of `pad`, then the recognizer's pause between
    the last word before `b` and the first word from `b` on (none when words overlap a sentence
    start: cut right there), then plain padding for a `b` that is no sentence start and falls
    inside a word.
    """
    reach = [(a, z) for a, z in silences or [] if (a < b or a <= 0.0) and z >= b - pad - _EPS]
    if reach:
        a, z = max(reach)
        return _into_gap(b, pad, a, min(z, b)), "silence"
    inside_a_word = not at_sentence and any(s < b - _EPS and e > b + _EPS for s, e in heard)
    if heard and not inside_a_word:
        before = [e for s, e in heard if s < b - _EPS]
        first = min((s for s, _ in heard if s >= b - _EPS), default=b)
        return _into_gap(b, pad, min(max(before), b) if before else 0.0, max(first, b)), "word-gap"
    return max(0.0, b - pad), "padding"


def _cut_after(
    e: float, pad: float, silences: list[tuple[float, float]] | None, heard: list[tuple[float, float]],
    duration: float, at_sentence: bool = True,
) -> tuple[float, str]:
    """`_cut_before` seen in a mirror: where to cut a window whose speech ends at `e`."""
    def flip(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
        return [(duration - z, duration - a) for a, z in spans]

    t, how = _cut_before(duration - e, pad, None if silences is None else flip(silences), flip(heard), at_sentence)
    return duration - t, how


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


def _merge_overlapping(windows: list[_Window], max_len_s: float = float("inf")) -> list[_Window]:
    """Merge windows that overlap, unless the merged clip would run past `max_len_s`: then the two
    become neighbours that meet in the middle of their overlap (the pause between their sentences)."""
    merged: list[_Window] = []
    for w in sorted(windows, key=lambda x: x.start):
        w = _Window(w.start, w.end, list(w.reasons), w.start_cut, w.end_cut)
        last = merged[-1] if merged else None
        if last is not None and w.start <= last.end and max(w.end, last.end) - last.start <= max_len_s:
            if w.end > last.end:
                last.end, last.end_cut = w.end, w.end_cut
            last.reasons += [r for r in w.reasons if r not in last.reasons]
            continue
        if last is not None and w.start < last.end:
            if w.end <= last.end:  # inside a clip already at its longest: it is shown there
                last.reasons += [r for r in w.reasons if r not in last.reasons]
                continue
            last.end = w.start = (w.start + last.end) / 2
        merged.append(w)
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
    silences: list[tuple[float, float]] | None = None,
    max_clip_s: float = 30.0,
) -> list[dict]:
    """Windows to cut into clips: one per provenance entry of the strategy, then the densest keyword windows.

    Boundaries are snapped to segment starts/ends, then moved out by up to `pad_s` into the
    silence next to them (`silences`: non-speech spans of the audio), else into the pause the
    recognizer heard between words, else by plain padding; clamped to the video and merged where
    they overlap (unless that makes a clip longer than `max_clip_s`: neighbours then meet in the
    pause between them); at most `max_clips` windows, rule-bearing ones first, sorted by time.
    Returns [{"start_s", "end_s", "reason", "text", "start_cut", "end_cut"}, ...], where a cut is
    "silence", "word-gap" or "padding".
    """
    segments = sorted(transcript.segments, key=lambda s: s.start)
    heard = _heard_spans(segments)
    duration = float(duration_s)
    quiet = None if silences is None else sorted((float(a), float(z)) for a, z in silences)
    candidates: list[tuple[float, float, str]] = []
    for p in spec_provenance or []:
        candidates.append((float(p["start_s"]), float(p["end_s"]), f"rule {p.get('part', '')}".strip()))
    for start, end, reason, _ in _densest_keyword_windows(hits, window_s):
        candidates.append((start, end, reason))

    chosen: list[_Window] = []
    for start, end, reason in candidates:
        s, e = _snap(start, max(end, start), segments)
        s, start_cut = _cut_before(s, pad_s, quiet, heard, any(abs(g.start - s) <= _EPS for g in segments))
        e, end_cut = _cut_after(e, pad_s, quiet, heard, duration, any(abs(g.end - e) <= _EPS for g in segments))
        s, e = max(0.0, s), min(duration, e)
        if e <= s:
            continue
        candidate = _merge_overlapping(chosen + [_Window(s, e, [reason], start_cut, end_cut)], max_clip_s)
        if len(candidate) > max_clips:
            continue
        chosen = candidate
    return [
        {"start_s": round(w.start, 3), "end_s": round(w.end, 3),
         "reason": "; ".join(sorted(w.reasons, key=lambda r: not r.startswith("rule"))),
         "text": _text_between(segments, w.start, w.end),
         "start_cut": w.start_cut, "end_cut": w.end_cut}
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
                # moviepy's temporary sound file is named after the clip and lands in the working
                # directory unless told; two videos rendering at once would share it.
                temp_audiofile_path=str(out_dir),
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
