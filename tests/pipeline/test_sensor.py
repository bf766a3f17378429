"""The drop-folder sensor on a real temp folder: stable files only, duplicates once, bad files kept with a reason."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from pipeline_defs.sensors import video_drop_sensor
from resources import MediaStoreResource
from tests.pipeline.helpers import drop


def tick(instance: dg.DagsterInstance, store: MediaStoreResource, cursor: str | None) -> dg.SensorResult:
    ctx = dg.build_sensor_context(instance=instance, cursor=cursor, resources={"media_store": store})
    result = video_drop_sensor(ctx)
    # Apply what the daemon would: the partitions the sensor asked for now exist.
    for req in result.dynamic_partitions_requests or []:
        instance.add_dynamic_partitions(req.partitions_def_name, list(req.partition_keys))
    return result


def test_new_video_runs_once_after_two_stable_ticks(instance, data_root: Path, sample_videos) -> None:
    store = MediaStoreResource(root=str(data_root))
    dropped = drop(sample_videos[0], store.inbox, "My Lesson: RSI (part 1).mp4")

    first = tick(instance, store, None)
    assert first.run_requests == []  # seen once: it may still be being written
    assert dropped.exists()

    second = tick(instance, store, first.cursor)
    assert len(second.run_requests) == 1
    key = second.run_requests[0].partition_key
    assert key.startswith("my-lesson-rsi-part-1-") and len(key.rsplit("-", 1)[1]) == 8
    assert second.run_requests[0].run_key == key
    assert [list(r.partition_keys) for r in second.dynamic_partitions_requests] == [[key]]
    assert not dropped.exists()
    managed = store.video_path(key)
    assert managed.read_bytes() == sample_videos[0].read_bytes()
    assert store.original_name(key) == "My Lesson: RSI (part 1).mp4"

    third = tick(instance, store, second.cursor)
    assert third.run_requests == []


def test_file_still_being_written_waits(instance, data_root: Path, sample_videos) -> None:
    store = MediaStoreResource(root=str(data_root))
    content = sample_videos[0].read_bytes()
    store.inbox.mkdir(parents=True)
    partial = store.inbox / "lesson.mp4"
    partial.write_bytes(content[: len(content) // 2])
    cursor = tick(instance, store, None).cursor
    with open(partial, "ab") as fh:  # the copy goes on between ticks
        fh.write(content[len(content) // 2:])
    grown = tick(instance, store, cursor)
    assert grown.run_requests == [] and partial.exists()
    done = tick(instance, store, grown.cursor)
    assert len(done.run_requests) == 1
    assert store.video_path(done.run_requests[0].partition_key).read_bytes() == content


def test_same_content_dropped_again_is_not_processed_again(instance, data_root: Path, sample_videos) -> None:
    store = MediaStoreResource(root=str(data_root))
    drop(sample_videos[0], store.inbox, "lesson.mp4")
    cursor = tick(instance, store, None).cursor
    first = tick(instance, store, cursor)
    assert len(first.run_requests) == 1
    key = first.run_requests[0].partition_key

    drop(sample_videos[0], store.inbox, "lesson.mp4")
    drop(sample_videos[0], store.inbox, "renamed copy.mp4")
    cursor = tick(instance, store, first.cursor).cursor
    again = tick(instance, store, cursor)
    assert again.run_requests == []
    assert instance.get_dynamic_partitions("videos") == [key]
    reasons = sorted(p.read_text() for p in store.rejected.glob("*.reason.txt"))
    assert len(reasons) == 2 and all(key in r and "already in the library" in r for r in reasons)
    assert len(list(store.rejected.glob("*.mp4"))) == 2  # nothing lost


def test_garbage_and_empty_files_are_rejected_with_reason(instance, data_root: Path, sample_videos) -> None:
    store = MediaStoreResource(root=str(data_root))
    store.inbox.mkdir(parents=True)
    (store.inbox / "garbage.mp4").write_bytes(os.urandom(4096))
    (store.inbox / "empty.mp4").write_bytes(b"")
    (store.inbox / "notes.txt").write_text("not a video")
    drop(sample_videos[1], store.inbox)
    cursor = tick(instance, store, None).cursor
    result = tick(instance, store, cursor)
    assert len(result.run_requests) == 1  # the good one still runs
    for name in ("garbage.mp4", "empty.mp4", "notes.txt"):
        assert (store.rejected / name).exists(), name
        reason = (store.rejected / f"{name}.reason.txt").read_text().strip()
        assert name in reason and reason.endswith(".") and "\n" not in reason
    assert "empty" in (store.rejected / "empty.mp4.reason.txt").read_text()
    assert list(store.inbox.iterdir()) == []


def test_symlink_out_of_inbox_is_rejected_not_followed(instance, data_root: Path, sample_videos, tmp_path) -> None:
    store = MediaStoreResource(root=str(data_root))
    store.inbox.mkdir(parents=True)
    outside = tmp_path / "outside.mp4"
    outside.write_bytes(sample_videos[0].read_bytes())
    (store.inbox / "link.mp4").symlink_to(outside)
    cursor = tick(instance, store, None).cursor
    result = tick(instance, store, cursor)
    assert result.run_requests == []
    assert outside.exists() and outside.read_bytes() == sample_videos[0].read_bytes()
    assert "outside the inbox" in (store.rejected / "link.mp4.reason.txt").read_text()


def test_hostile_file_names_are_handled_safely(instance, data_root: Path, sample_videos) -> None:
    store = MediaStoreResource(root=str(data_root))
    names = ["my lesson.mp4", "lección ñ 日本.mp4", "it's \"quoted\".mp4", "a,b,c.mp4", "-rf --help.mp4", "part..two..mp4"]
    content = sample_videos[0].read_bytes()
    store.inbox.mkdir(parents=True)
    for i, name in enumerate(names):
        # Distinct content per file, so none is a duplicate of another.
        (store.inbox / name).write_bytes(content + bytes([i]))
    cursor = tick(instance, store, None).cursor
    result = tick(instance, store, cursor)
    keys = [r.partition_key for r in result.run_requests]
    assert len(keys) == len(names)
    assert all("," not in k and "/" not in k and not k.startswith("-") for k in keys)
    for key in keys:
        managed = store.video_path(key)
        assert managed.parent.parent == store.videos and managed.name.startswith(key)
    assert sorted(store.original_name(k) for k in keys) == sorted(names)


def test_twenty_videos_dropped_at_once_become_twenty_partitions(instance, data_root: Path, sample_videos) -> None:
    store = MediaStoreResource(root=str(data_root))
    store.inbox.mkdir(parents=True)
    content = sample_videos[0].read_bytes()
    for i in range(20):
        (store.inbox / f"lesson {i:02d}.mp4").write_bytes(content + i.to_bytes(2, "big"))
    cursor = tick(instance, store, None).cursor
    result = tick(instance, store, cursor)
    assert len(result.run_requests) == 20
    assert sorted(instance.get_dynamic_partitions("videos")) == sorted(r.partition_key for r in result.run_requests)
    assert tick(instance, store, result.cursor).run_requests == []


def test_subtitle_arriving_after_its_video_is_kept_with_a_reason(instance, data_root: Path, sample_videos) -> None:
    store = MediaStoreResource(root=str(data_root))
    store.inbox.mkdir(parents=True)
    drop(sample_videos[0], store.inbox, "lesson.mp4")
    cursor = tick(instance, store, None).cursor
    result = tick(instance, store, cursor)
    assert len(result.run_requests) == 1
    (store.inbox / "lesson.srt").write_text("1\n00:00:00,000 --> 00:00:01,000\nBuy the dip.\n")
    cursor = tick(instance, store, result.cursor).cursor
    assert (store.inbox / "lesson.srt").exists()  # seen once: it might still be arriving with a video
    last = tick(instance, store, cursor)
    assert last.run_requests == []
    assert not (store.inbox / "lesson.srt").exists()
    reason = (store.rejected / "lesson.srt.reason.txt").read_text()
    assert "without a video of the same name" in reason and "drop it together with its video" in reason
    assert (store.rejected / "lesson.srt").read_text().startswith("1\n")
