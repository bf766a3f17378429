"""The Dagster code location of reelquant: definitions, partitions, jobs, sensors, schedules, resources."""
