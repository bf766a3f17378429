"""Partition keys and the inbox protocol of reelquant.ingest."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelquant.ingest import InboxState, is_partition_key, partition_key, scan_inbox, slugify, store_video


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Golden Cross Lesson", "golden-cross-lesson"),
        ("  --leading dashes", "leading-dashes"),
        ("Ümlaut, comma & quote's", "umlaut-comma-quote-s"),
        ("../../etc/passwd", "etc-passwd"),
        ("日本語", "video"),
        ("x" * 80, "x" * 48),
    ],
)
def test_slugify(name: str, slug: str) -> None:
    assert slugify(name) == slug


def test_partition_key_is_stable_and_safe(tmp_path: Path) -> None:
    a = tmp_path / "My, Lesson.mp4"
    a.write_bytes(b"abc")
    b = tmp_path / "other" / "My, Lesson.mp4"
    b.parent.mkdir()
    b.write_bytes(b"abc")
    c = tmp_path / "My, Lesson 2.mp4"
    c.write_bytes(b"abcd")
    assert partition_key(a) == partition_key(b) == "my-lesson-ba7816bf"
    assert partition_key(c) != partition_key(a)
    assert is_partition_key(partition_key(a)) and "," not in partition_key(a)
    assert not is_partition_key("bad,key-12345678")


def test_scan_inbox_needs_two_equal_observations(tmp_path: Path) -> None:
    (tmp_path / "a.mp4").write_bytes(b"1")
    (tmp_path / "a.srt").write_text("1")
    (tmp_path / ".hidden.mp4").write_bytes(b"1")
    (tmp_path / "b.mp4.part").write_bytes(b"1")
    first = scan_inbox(tmp_path, InboxState())
    assert [p.name for p in first.waiting] == ["a.mp4"] and first.stable == []
    second = scan_inbox(tmp_path, InboxState.from_json(first.state.to_json()))
    assert [p.name for p in second.stable] == ["a.mp4"]
    assert InboxState.from_json("not json").seen == {}


def test_store_video_copies_sidecars_and_keeps_user_file(tmp_path: Path) -> None:
    src = tmp_path / "in" / "-rf lesson.MP4"
    src.parent.mkdir()
    src.write_bytes(b"video")
    (src.parent / "-rf lesson.en.srt").write_text("1\n00:00:00,000 --> 00:00:01,000\nhi\n")
    key = partition_key(src)
    managed = store_video(src, tmp_path / "videos", key, move=False)
    assert managed.name == f"{key}.mp4" and managed.read_bytes() == b"video"
    assert (managed.parent / f"{key}.en.srt").exists()
    assert src.exists()


def test_subtitle_without_its_video_is_an_orphan_only_when_settled(tmp_path: Path) -> None:
    (tmp_path / "late.en.srt").write_text("1")
    (tmp_path / "lesson.srt").write_text("1")
    (tmp_path / "lesson.mp4").write_bytes(b"still copying")
    first = scan_inbox(tmp_path, InboxState())
    assert first.orphans == []  # seen once: it may be the first half of a drop
    second = scan_inbox(tmp_path, InboxState.from_json(first.state.to_json()))
    # lesson.srt has its video beside it (still waiting or not); late.en.srt has none.
    assert [p.name for p in second.orphans] == ["late.en.srt"]
    assert [p.name for p in second.stable] == ["lesson.mp4"]
