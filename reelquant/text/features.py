"""Numeric features of a lesson (term densities, speech rate, rule counts, ...) for ranking and models."""

from __future__ import annotations

import math
import re
from typing import Any

import pandas as pd

from reelquant.speech.transcript import Transcript
from reelquant.strategy.spec import STOP_FIELDS, StrategySpec, load_specs
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
    "setup_count": "setups the lesson teaches (specs in its list, a single not-testable one counts 1)",
    "testable_setups": "setups that can be backtested",
    "entry_rule_count": "entry conditions over every side of every setup",
    "exit_rule_count": "exit conditions over every side of every setup",
    "stop_count": "stop, target, trailing-stop and time-exit fields set, over every setup",
    "has_take_profit": "1 when a setup has a take-profit (percent or ATR multiple)",
    "has_trailing_stop": "1 when a setup has a trailing stop",
    "has_atr_stop": "1 when a setup puts its stop or target at an ATR multiple",
    "has_time_exit": "1 when a setup closes after a number of bars (max_bars_held)",
    "distinct_spec_indicators": "distinct indicator series (with parameters) that the setups' rules use",
    "confidence": "extractor confidence, mean over the setups, 0 to 1",
    "testable": "1 when at least one setup is testable",
    "direction_long": "1 when a testable setup trades long only",
    "direction_short": "1 when a testable setup trades short only",
    "direction_both": "1 when a testable setup trades both sides",
    "stop_and_reverse": "1 when a setup flips from long to short and back (each side's exit the other's entry)",
    "provenance_coverage": "share of the setups' conditions and stops that have a provenance quote",
    "provenance_time_share": "share of the lesson's time covered by provenance quotes",
    "first_rule_frac": "time the first rule is said as a fraction of the lesson (1 when none)",
    "unsupported_count": "reasons the setups list as unsupported",
    "assumption_count": "defaults the extractor filled in, over every setup",
}


def _ratio(a: float, b: float) -> float:
    return float(a) / float(b) if b else 0.0


def lesson_features(
    transcript: Transcript, hits: pd.DataFrame, specs: list[StrategySpec] | StrategySpec | list[dict[str, Any]]
) -> dict[str, float]:
    """Every feature of FEATURE_DOCS as a finite float; `specs` is the lesson's list of setups (v1 or v2)."""
    specs = load_specs(specs)
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

    testable = [sp for sp in specs if sp.testable]
    n_entry = sum(len(side.entry.conditions) for sp in specs for _, side in sp.sides())
    n_exit = sum(len(side.exit.conditions) for sp in specs for _, side in sp.sides())
    n_stops = sum(getattr(sp.stops, name) is not None for sp in specs for name in STOP_FIELDS)
    f["setup_count"] = float(len(specs))
    f["testable_setups"] = float(len(testable))
    f["entry_rule_count"] = float(n_entry)
    f["exit_rule_count"] = float(n_exit)
    f["stop_count"] = float(n_stops)
    f["has_take_profit"] = float(any(sp.stops.take_profit_pct or sp.stops.take_profit_atr for sp in specs))
    f["has_trailing_stop"] = float(any(sp.stops.trailing_stop_pct for sp in specs))
    f["has_atr_stop"] = float(any(sp.stops.stop_loss_atr or sp.stops.take_profit_atr for sp in specs))
    f["has_time_exit"] = float(any(sp.stops.max_bars_held for sp in specs))
    f["distinct_spec_indicators"] = float(len({op.series_key() for sp in specs for op in sp.operands()}))
    f["confidence"] = _ratio(sum(float(sp.confidence) for sp in specs), len(specs))
    f["testable"] = float(bool(testable))
    f["direction_long"] = float(any(sp.direction == "long" for sp in testable))
    f["direction_short"] = float(any(sp.direction == "short" for sp in testable))
    f["direction_both"] = float(any(sp.direction == "both" for sp in testable))
    f["stop_and_reverse"] = float(any(sp.is_stop_and_reverse() for sp in testable))
    # A rule counts as quoted when its own part was, or (for stops) the stops as a whole were.
    quoted = {(i, p.part) for i, sp in enumerate(specs) for p in sp.provenance}
    rules = [(i, part) for i, sp in enumerate(specs) for part, _ in sp.conditions()]
    rules += [(i, f"stops.{name}") for i, sp in enumerate(specs) for name in STOP_FIELDS
              if getattr(sp.stops, name) is not None]
    covered_rules = sum((i, part) in quoted or (part.startswith("stops.") and ((i, "stops") in quoted or
                                                                              (i, part[6:]) in quoted))
                        for i, part in rules)
    f["provenance_coverage"] = _ratio(covered_rules, len(rules))
    provenance = [p for sp in specs for p in sp.provenance]
    spans = sorted({(p.start_s, p.end_s) for p in provenance})
    covered, reach = 0.0, -math.inf
    for a, b in spans:
        # Overlapping quotes are counted once.
        a = max(a, reach)
        if b > a:
            covered += b - a
        reach = max(reach, b)
    f["provenance_time_share"] = min(_ratio(covered, duration), 1.0)
    rule_times = [p.start_s for p in provenance if p.part.startswith(("long.", "short."))]
    f["first_rule_frac"] = _ratio(min(rule_times), duration) if rule_times and duration else 1.0
    f["unsupported_count"] = float(sum(len(sp.unsupported) for sp in specs))
    f["assumption_count"] = float(sum(len(sp.assumptions) for sp in specs))
    return {k: (float(v) if math.isfinite(float(v)) else 0.0) for k, v in f.items()}
