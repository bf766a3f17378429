"""Language: trading terms heard, candidate rules, and numeric features of each lesson."""


from typing import Any

import dagster as dg
import pandas as pd
import pandera.errors as pa_errors

from assets._metadata import md_png, md_table
from assets.partitions import videos_partitions
from reelquant.plots import keyword_timeline_png
from reelquant.schemas import KeywordHitsSchema
from reelquant.speech.transcript import Transcript
from reelquant.text.features import FEATURE_DOCS
from reelquant.text.features import lesson_features as compute_features
from reelquant.text.keywords import find_keyword_hits
from reelquant.text.rules import read_lesson


@dg.asset(
    partitions_def=videos_partitions,
    group_name="language",
    kinds={"spacy", "pandas"},
    # Checked in the asset's own step: a separate check step would cost a run another step and a reload.
    check_specs=[dg.AssetCheckSpec("keyword_hits_schema", asset="keyword_hits", blocking=True,
                                   description="keyword_hits matches its pandera schema (columns, types, times).")],
    description="One row per trading-term hit: term, canonical id, category, surface text, start/end seconds, segment.",
)
def keyword_hits(transcript: dict[str, Any]):  # no return annotation: with check_specs Dagster reads one as the type of every output
    # Trading terms are English: a lesson in another language is spotted in its translation.
    tr = Transcript.from_dict(transcript).english()
    hits = find_keyword_hits(tr)
    top = hits["term"].value_counts().head(15) if len(hits) else pd.Series(dtype=int)
    return dg.MaterializeResult(
        value=hits,
        metadata={
            "hits": dg.MetadataValue.int(len(hits)),
            "distinct_terms": dg.MetadataValue.int(int(hits["canonical_id"].nunique()) if len(hits) else 0),
            "top_terms": md_table(top.items(), ["term", "hits"]),
            "timeline": md_png(keyword_timeline_png(hits, tr.duration_s), "keyword timeline"),
        },
        check_results=[keyword_hits_schema_result(hits)],
    )


def keyword_hits_schema_result(hits: pd.DataFrame) -> dg.AssetCheckResult:
    """The pandera schema of keyword_hits as a check result: failures summarized, never raised."""
    try:
        KeywordHitsSchema.validate(hits, lazy=True)
    except pa_errors.SchemaErrors as exc:
        cases = exc.failure_cases
        summary = "; ".join(f"{r.column}: {r.check}" for r in cases.head(5).itertuples())
        return dg.AssetCheckResult(check_name="keyword_hits_schema", passed=False,
                                   description=f"{len(cases)} schema failures: {summary}")
    return dg.AssetCheckResult(check_name="keyword_hits_schema", passed=True,
                               description=f"{len(hits)} rows match the schema",
                               metadata={"rows": dg.MetadataValue.int(len(hits))})


@dg.asset(
    partitions_def=videos_partitions,
    group_name="language",
    kinds={"python"},
    description="The reader's account of the lesson: candidate rules (side, entry or exit, condition), stops, "
    "timeframe and other settings, each with the words and times it came from and the setup it belongs to.",
)
def trading_concepts(transcript: dict[str, Any], keyword_hits: pd.DataFrame) -> dg.MaterializeResult:
    reading = read_lesson(Transcript.from_dict(transcript).english())
    rows = sorted(reading.records(), key=lambda r: (r["start_s"], r["setup"]))
    return dg.MaterializeResult(
        value=reading.to_dict(),
        metadata={
            "candidates": dg.MetadataValue.int(len(rows)),
            "rules": dg.MetadataValue.int(sum(r["kind"] == "rule" for r in rows)),
            "setups_seen": dg.MetadataValue.int(len({r["setup"] for r in rows})),
            "indicator_terms": dg.MetadataValue.int(
                int((keyword_hits["category"] == "indicators").sum()) if len(keyword_hits) else 0
            ),
            "preview": md_table(
                ((r["setup"] + 1, r["kind"], r["part"], f"{r['start_s']:.1f}", r["detail"], r["text"]) for r in rows),
                ["setup", "kind", "part", "at (s)", "read as", "said"], limit=40,
            ),
        },
    )


@dg.asset(
    partitions_def=videos_partitions,
    group_name="language",
    kinds={"python"},
    description="30+ numeric features of the lesson (term densities, speech rate, rule counts, ...); see FEATURE_DOCS.",
)
def lesson_features(
    transcript: dict[str, Any], keyword_hits: pd.DataFrame, strategy_spec: list[dict[str, Any]]
) -> dg.MaterializeResult:
    feats = compute_features(Transcript.from_dict(transcript).english(), keyword_hits, strategy_spec)
    return dg.MaterializeResult(
        value=feats,
        metadata={
            "features": dg.MetadataValue.int(len(feats)),
            "table": md_table(((k, f"{v:.4g}", FEATURE_DOCS.get(k, "")) for k, v in feats.items()),
                              ["feature", "value", "meaning"], limit=60),
        },
    )
