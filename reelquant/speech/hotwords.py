"""Trading words Whisper is primed with (faster-whisper's `hotwords`), taken from the indicator registry and lexicon.

Whisper writes what it expects: with no context "nine EMA" comes out "9 e-M-A" and "MACD" as "McDee". Primed
with the written forms of the indicators the project knows, it writes them as teachers mean them. The list is
derived, never typed here: first the acronyms (a registry or lexicon word whose letters are also listed spelled
out, "e m a" beside "ema", is said letter by letter and written in capitals), then the names of the registry's
indicators and families, then the lexicon's other indicators and candlestick patterns. faster-whisper puts the
hotwords in the prompt in front of every 30-second window and cuts them at half the model's context, so the
list is bounded by HOTWORD_TOKEN_BUDGET tokens, the most telling words first.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from pathlib import Path

# Tokens of Whisper's tokenizer the hotwords may take: about half of faster-whisper's own ceiling
# (max_length // 2 - 1 = 223 tokens), so the prompt stays short and the window's own words decide.
HOTWORD_TOKEN_BUDGET = 120
# Lexicon categories whose names are vocabulary a recognizer does not know (after the registry's).
HOTWORD_CATEGORIES = ("indicators", "candlestick_patterns")
# A name is worth priming when one of its words is outside this many most likely words of general English.
COMMON_WORDS = 20000
_SEPARATOR = ", "


def _acronyms(words: Iterable[str]) -> list[str]:
    """Words said letter by letter: those whose spelled form is among the same words, alone ("a t r" beside
    "atr") or among whole words ("plus d i" beside "plus di"; not "mac d" beside "m a c d", a part spelled)."""
    pool = {" ".join(w.lower().split()) for w in words}
    found = set()
    for phrase in pool:
        tokens = phrase.split()
        for i, w in enumerate(tokens):
            rest = tokens[:i] + tokens[i + 1:]
            if (re.fullmatch(r"[a-z]{2,5}", w) and all(len(t) > 1 for t in rest)
                    and " ".join([*tokens[:i], *w, *tokens[i + 1:]]) in pool):
                found.add(w.upper())
    return sorted(found)


def _name(title: str) -> str:
    """A display name as said: without a parenthesis ("Rate of change (percent)" -> "Rate of change")."""
    return re.sub(r"\s*\([^)]*\)", "", title).strip()


@functools.cache
def _common_english() -> frozenset[str]:
    """The COMMON_WORDS most likely words of pocketsphinx's general English model: words any recognizer knows."""
    import pocketsphinx

    from reelquant.speech.lm import _general_unigrams

    model = Path(pocketsphinx.get_model_path()) / "en-us"
    return frozenset(_general_unigrams(model, model / "cmudict-en-us.dict", COMMON_WORDS))


def _telling(name: str) -> list[str]:
    """The words of a name a recognizer would not guess: outside common English (Bollinger, Ichimoku), or
    written with a symbol or in capitals (%K, SAR)."""
    common = _common_english()
    return [w for w in name.split()
            if not w.isalpha() or (w.isupper() and len(w) > 1) or w.lower() not in common]


@functools.cache
def _vocabulary() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The registry's ways of saying its indicators, and the lexicon's own indicators and patterns."""
    from reelquant.indicators import REGISTRY
    from reelquant.text.lexicon import is_term, load_lexicon, registry_terms

    lexicon = load_lexicon()
    registry_words = tuple(w for d in REGISTRY.values() if is_term(d) for w in (*d.words, *d.family_words))
    derived = {t.id for t in registry_terms()}
    # The lexicon's own terms (the registry's are read from the registry, without their misheard forms).
    other_words = tuple(a for t in lexicon.terms if t.category in HOTWORD_CATEGORIES and t.id not in derived
                        for a in t.aliases)
    return registry_words, other_words


@functools.cache
def spelled_acronyms() -> tuple[str, ...]:
    """The trading acronyms said letter by letter ("ATR", "DI", "EMA"), in capitals: the registry's, then the
    lexicon's own indicators and patterns, each found by its spelled form beside it (see _acronyms)."""
    registry_words, other_words = _vocabulary()
    return tuple(dict.fromkeys([*_acronyms(registry_words), *_acronyms(other_words)]))


@functools.cache
def letters_only_acronyms() -> tuple[str, ...]:
    """The spelled acronyms no listed way says partly as a word: "ATR" ("a t r"), not "MACD" ("mac d") or
    "VWAP" ("v wap"), which teachers say as much as a word as letter by letter."""
    pool = {" ".join(w.lower().split()) for words in _vocabulary() for w in words}
    worded = {"".join(p.split()) for p in pool
              if len(p.split()) > 1 and not all(len(t) == 1 for t in p.split()) and p.replace(" ", "").isalpha()}
    return tuple(a for a in spelled_acronyms() if a.lower() not in worded)


def hotword_terms() -> list[str]:
    """Every candidate hotword in priority order: acronyms, then names carrying a word a recognizer would not
    guess (each such word primed once), registry names first; names of plain words are left to the recognizer."""
    from reelquant.text.lexicon import load_lexicon, registry_terms

    lexicon = load_lexicon()
    derived = {t.id for t in registry_terms()}
    names = [*(_name(t.name) for t in registry_terms()),
             *(_name(t.name) for category in HOTWORD_CATEGORIES
               for t in lexicon.in_category(category) if t.id not in derived)]
    out = list(spelled_acronyms())
    known = {w.lower() for w in out}
    for name in names:
        telling = {w.lower() for w in _telling(name)}
        if telling and not telling <= known:
            out.append(name)
            known |= telling | {w.lower() for w in name.split()}
    return out


def _estimate_tokens(text: str) -> int:
    # Without a tokenizer: about one token per three characters, which overcounts English BPE.
    return len(text) // 3 + 1


def trading_hotwords(count_tokens: Callable[[str], int] | None = None,
                     budget: int = HOTWORD_TOKEN_BUDGET) -> str:
    """The hotword string: terms from hotword_terms(), comma-separated, as many as fit in `budget` tokens
    counted by `count_tokens` (the model's tokenizer; a conservative estimate when None)."""
    count = count_tokens or _estimate_tokens
    chosen: list[str] = []
    for term in hotword_terms():
        if count(" " + _SEPARATOR.join([*chosen, term])) > budget:
            continue
        chosen.append(term)
    return _SEPARATOR.join(chosen)
