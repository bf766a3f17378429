"""The one partitions definition: a video dropped into the library is a partition of every per-video asset."""

import dagster as dg

videos_partitions = dg.DynamicPartitionsDefinition(name="videos")
