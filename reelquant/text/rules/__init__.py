"""The rule reader: what a trading teacher says becomes StrategySpec v2 rules, with provenance.

Stages, each its own module and each a small step a reader can follow:
  normalize  transcript -> clauses of tokens (numbers as values, times and segments kept)
  operands   indicator mentions with their settings, offsets and scales (vocabulary from the registry)
  frames     comparisons, actions and clause markers (negation, hedge, optional, recap, setup number ...)
  stops      stops, targets, time exits, timeframe, data the lesson needs that we do not have
  reading    the whole lesson read in order, references resolved -> `Reading`
  specs      `Reading` -> one StrategySpec per setup, or one testable=false spec with reasons
"""

from __future__ import annotations

from reelquant.speech.transcript import Transcript
from reelquant.strategy.spec import StrategySpec
from reelquant.text.rules.reading import Evidence, Reading, RuleFrame, SettingFrame, read_lesson
from reelquant.text.rules.specs import NO_RULE, build_specs

EXTRACTOR_NAME = "rules-v2"


def extract_specs(transcript: Transcript) -> list[StrategySpec]:
    """The StrategySpecs a lesson teaches: `build_specs(read_lesson(transcript))`."""
    return build_specs(read_lesson(transcript))


__all__ = [
    "EXTRACTOR_NAME",
    "NO_RULE",
    "Evidence",
    "Reading",
    "RuleFrame",
    "SettingFrame",
    "build_specs",
    "extract_specs",
    "read_lesson",
]
