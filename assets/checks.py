"""Table-schema checks that run pandera models inside Dagster asset checks."""


import dagster as dg
import pandas as pd
import pandera.errors as pa_errors

from assets.language import keyword_hits
from assets.partitions import videos_partitions
from reelquant.schemas import KeywordHitsSchema


@dg.asset_check(asset=keyword_hits, partitions_def=videos_partitions, blocking=True,
                description="keyword_hits matches its pandera schema (columns, types, times).")
def keyword_hits_schema(keyword_hits: pd.DataFrame) -> dg.AssetCheckResult:
    try:
        KeywordHitsSchema.validate(keyword_hits, lazy=True)
    except pa_errors.SchemaErrors as exc:
        cases = exc.failure_cases
        summary = "; ".join(f"{r.column}: {r.check}" for r in cases.head(5).itertuples())
        return dg.AssetCheckResult(passed=False, description=f"{len(cases)} schema failures: {summary}")
    return dg.AssetCheckResult(passed=True, description=f"{len(keyword_hits)} rows match the schema",
                               metadata={"rows": dg.MetadataValue.int(len(keyword_hits))})
