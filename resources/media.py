"""Where managed videos and everything derived from them live."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from reelquant.ingest import managed_video, original_name


class MediaStoreResource(dg.ConfigurableResource):
    """A local folder holding the inbox, rejected drops, managed videos and per-video derived media."""

    root: str = ".reelquant"
    inbox_dir: str = ""
    rejected_dir: str = ""

    @property
    def root_path(self) -> Path:
        return Path(self.root).expanduser().absolute()

    @property
    def inbox(self) -> Path:
        return Path(self.inbox_dir).expanduser().absolute() if self.inbox_dir else self.root_path / "inbox"

    @property
    def rejected(self) -> Path:
        return Path(self.rejected_dir).expanduser().absolute() if self.rejected_dir else self.root_path / "rejected"

    @property
    def videos(self) -> Path:
        return self.root_path / "store" / "videos"

    def video_path(self, key: str) -> Path:
        return managed_video(self.videos, key)

    def original_name(self, key: str) -> str:
        return original_name(self.videos, key)

    def derived_path(self, key: str, *parts: str) -> Path:
        """`<root>/store/derived/<key>/<parts...>`, whether or not it exists yet."""
        return self.root_path.joinpath("store", "derived", key, *parts)

    def derived_dir(self, key: str, *parts: str) -> Path:
        """`derived_path(key, *parts)` as a folder, created on first use."""
        path = self.derived_path(key, *parts)
        path.mkdir(parents=True, exist_ok=True)
        return path
