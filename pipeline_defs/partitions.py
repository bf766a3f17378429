"""Re-export of the one partitions definition, so the code location names everything it serves."""

from assets.partitions import videos_partitions

__all__ = ["videos_partitions"]
