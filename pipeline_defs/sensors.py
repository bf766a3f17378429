"""The drop-folder sensor: every stable new video in the inbox becomes a partition and a run."""


import dagster as dg

from pipeline_defs.jobs import strategy_job
from pipeline_defs.partitions import videos_partitions
from reelquant.ingest import InboxState, admit, reject, scan_inbox
from resources import MediaStoreResource


@dg.sensor(
    job=strategy_job,
    minimum_interval_seconds=5,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Watches the inbox; a video whose size and mtime held still for two ticks is moved into the store, "
    "added as a partition and run through `strategy`. Bad files go to rejected/ with a reason.",
)
def video_drop_sensor(context: dg.SensorEvaluationContext, media_store: MediaStoreResource) -> dg.SensorResult:
    inbox = media_store.inbox
    inbox.mkdir(parents=True, exist_ok=True)
    scan = scan_inbox(inbox, InboxState.from_json(context.cursor))
    known = set(context.instance.get_dynamic_partitions(videos_partitions.name))
    new_keys: list[str] = []
    for path in scan.stable:
        outcome = admit(path, inbox, media_store.videos, media_store.rejected, known | set(new_keys))
        context.log.info(f"{outcome.status}: {outcome.source_name} {outcome.key or ''} {outcome.reason}".strip())
        if outcome.status == "new" and outcome.key:
            new_keys.append(outcome.key)
        scan.state.seen.pop(path.name, None)
    for subtitle in scan.orphans:
        # Kept, with a reason, never deleted; a subtitle is read only when it arrives with its video.
        reject(subtitle, media_store.rejected,
               f"'{subtitle.name}' came without a video of the same name in the inbox (a subtitle that arrives "
               "after its video was taken is not applied); drop it together with its video, under the same name.")
        context.log.info(f"rejected: {subtitle.name} has no video beside it")
        scan.state.seen.pop(subtitle.name, None)
    return dg.SensorResult(
        run_requests=[dg.RunRequest(partition_key=k, run_key=k, tags={"reelquant/source": "inbox"}) for k in new_keys],
        dynamic_partitions_requests=[videos_partitions.build_add_request(new_keys)] if new_keys else [],
        cursor=scan.state.to_json(),
        skip_reason=None if new_keys or scan.stable else
        (f"{len(scan.waiting)} file(s) still changing" if scan.waiting else "inbox empty"),
    )
