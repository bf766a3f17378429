"""pandera schemas of the tables the pipeline produces, run by the Dagster asset checks."""

from __future__ import annotations

import pandera.pandas as pa


class KeywordHitsSchema(pa.DataFrameModel):
    """One row per trading-term hit in a transcript."""

    term: str
    canonical_id: str = pa.Field(str_matches=r"^[a-z0-9_]+$")
    category: str
    surface: str
    start_s: float = pa.Field(ge=0)
    end_s: float = pa.Field(ge=0)
    segment_id: int = pa.Field(ge=0)

    @pa.dataframe_check
    def ends_after_start(cls, df):  # noqa: N805 - pandera passes the model class
        return df["end_s"] >= df["start_s"]

    class Config:
        strict = True
        coerce = True
