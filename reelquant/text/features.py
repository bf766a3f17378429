"""Numeric features of a lesson (term densities, speech rate, rule counts, ...) for ranking and models."""

from __future__ import annotations

import math
import re

import pandas as pd

from reelquant.speech.transcript import Transcript
from reelquant.strategy.spec import StrategySpec
from reelquant.text.lexicon import CATEGORIES
from reelquant.text.numbers import normalize_numbers

FEATURE_DOCS: dict[str, str] = {
    "duration_s": "lesson length in seconds (last segment end, or the transcript's duration if longer)",
    "duration_min": "length of the lesson in minutes",
    "segment_count": "number of transcript segments",
    "word_count": "number of spoken words",
    "speech_rate_wpm": "spoken words per minute",
    "mean_segment_words": "mean words per segment",
    "mean_segment_s": "mean segment length in seconds",
    "lexical_diversity": "distinct words divided by words (0 when silent)",
    "question_count": "segments that end in a question mark",
    "hit_count": "trading-term hits of any category",
    "hits_per_min": "trading-term hits per minute",
    **{f"{c}_per_min": f"hits of {c.replace('_', ' ')} terms per minute" for c in CATEGORIES},
    "distinct_terms": "distinct canonical trading terms mentioned",
    "distinct_indicator_terms": "distinct indicator terms mentioned",
    "indicator_share": "share of hits that are indicators",
    "psychology_share": "share of hits that are psychology terms",
    "numbers_mentioned": "numbers said (after spoken numbers are turned into digits)",
    "numbers_per_min": "numbers said per minute",
    "percent_mentions": "times 'percent' is said",
    "first_hit_frac": "time of the first trading-term hit as a fraction of the lesson (1 when none)",
    "entry_rule_count": "entry conditions in the spec",
    "exit_rule_count": "exit conditions in the spec",
    "stop_count": "stop, target and trailing-stop fields set in the spec",
    "has_take_profit": "1 when the spec has a take-profit percent",
    "has_trailing_stop": "1 when the spec has a trailing stop",
    "distinct_spec_indicators": "distinct indicators (with parameters) that the spec's rules use",
    "confidence": "extractor confidence in the spec, 0 to 1",
    "testable": "1 when the spec is testable",
    "direction_long": "1 when the spec trades long only",
    "direction_short": "1 when the spec trades short only",
    "provenance_coverage": "share of the spec's rules and stops that have a provenance quote",
    "provenance_time_share": "share of the lesson's time covered by provenance quotes",
    "first_rule_frac": "time the first rule is said as a fraction of the lesson (1 when none)",
    "unsupported_count": "reasons the spec lists as unsupported",
    "assumption_count": "defaults the extractor filled in",
}


def _ratio(a: float, b: float) -> float:
    return float(a) / float(b) if b else 0.0


def lesson_features(transcript: Transcript, hits: pd.DataFrame, spec: StrategySpec) -> dict[str, float]:
    """Every feature of FEATURE_DOCS as a finite float."""
    segs = [s for s in transcript.segments if s.text.strip()]
    last_end = max((float(s.end) for s in segs), default=0.0)
    duration = max(float(transcript.duration_s or 0.0), last_end)
    minutes = duration / 60.0
    words = [w.lower() for s in segs for w in re.findall(r"[A-Za-z0-9']+", s.text)]
    n_words = transcript.word_count
    f: dict[str, float] = {
        "duration_s": duration,
        "duration_min": minutes,
        "segment_count": float(len(segs)),
        "word_count": float(n_words),
        "speech_rate_wpm": _ratio(n_words, minutes),
        "mean_segment_words": _ratio(n_words, len(segs)),
        "mean_segment_s": _ratio(sum(float(s.end) - float(s.start) for s in segs), len(segs)),
        "lexical_diversity": _ratio(len(set(words)), len(words)),
        "question_count": float(sum(s.text.strip().endswith("?") for s in segs)),
        "hit_count": float(len(hits)),
        "hits_per_min": _ratio(len(hits), minutes),
    }
    counts = hits["category"].value_counts() if len(hits) else pd.Series(dtype=int)
    for cat in CATEGORIES:
        f[f"{cat}_per_min"] = _ratio(int(counts.get(cat, 0)), minutes)
    f["distinct_terms"] = float(hits["canonical_id"].nunique()) if len(hits) else 0.0
    f["distinct_indicator_terms"] = (
        float(hits.loc[hits["category"] == "indicators", "canonical_id"].nunique()) if len(hits) else 0.0
    )
    f["indicator_share"] = _ratio(int(counts.get("indicators", 0)), len(hits))
    f["psychology_share"] = _ratio(int(counts.get("psychology", 0)), len(hits))
    normalized = normalize_numbers(transcript.text)
    numbers = re.findall(r"\d+(?:\.\d+)?", normalized)
    f["numbers_mentioned"] = float(len(numbers))
    f["numbers_per_min"] = _ratio(len(numbers), minutes)
    f["percent_mentions"] = float(len(re.findall(r"percent|%", normalized, flags=re.I)))
    f["first_hit_frac"] = _ratio(float(hits["start_s"].min()), duration) if len(hits) and duration else 1.0

    stops = [spec.stop_loss_pct, spec.take_profit_pct, spec.trailing_stop_pct, spec.stop_loss_atr]
    n_entry, n_exit = len(spec.entry.conditions), len(spec.exit.conditions)
    n_stops = sum(v is not None for v in stops)
    f["entry_rule_count"] = float(n_entry)
    f["exit_rule_count"] = float(n_exit)
    f["stop_count"] = float(n_stops)
    f["has_take_profit"] = float(spec.take_profit_pct is not None)
    f["has_trailing_stop"] = float(spec.trailing_stop_pct is not None)
    f["distinct_spec_indicators"] = float(len(spec.indicators()))
    f["confidence"] = float(spec.confidence)
    f["testable"] = float(spec.testable)
    f["direction_long"] = float(spec.direction == "long")
    f["direction_short"] = float(spec.direction == "short")
    rule_parts = {
        p.part
        for p in spec.provenance
        if p.part.startswith(("entry[", "exit[", "stop_", "take_", "trailing_"))
    }
    f["provenance_coverage"] = (
        _ratio(len(rule_parts), n_entry + n_exit + n_stops) if (n_entry + n_exit + n_stops) else 0.0
    )
    spans = sorted({(p.start_s, p.end_s) for p in spec.provenance})
    covered, reach = 0.0, -math.inf
    for a, b in spans:
        # Overlapping quotes are counted once.
        a = max(a, reach)
        if b > a:
            covered += b - a
        reach = max(reach, b)
    f["provenance_time_share"] = min(_ratio(covered, duration), 1.0)
    rule_times = [p.start_s for p in spec.provenance if p.part.startswith(("entry[", "exit["))]
    f["first_rule_frac"] = _ratio(min(rule_times), duration) if rule_times and duration else 1.0
    f["unsupported_count"] = float(len(spec.unsupported))
    f["assumption_count"] = float(len(spec.assumptions))
    return {k: (float(v) if math.isfinite(float(v)) else 0.0) for k, v in f.items()}
