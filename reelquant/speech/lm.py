"""A trading-language n-gram model for pocketsphinx, built once at run time.

The domain text is made only of the indicator registry and the trading lexicon, never of lessons: every
word and family word of every registry indicator (not its misheard forms, which the recognizer should not
learn to produce) and every alias of the lexicon file's terms, and short phrases (at most
MAX_PHRASE_WORDS words) that say them the way a rule does: an indicator with its window and settings
("the fourteen period rsi", "macd twelve twenty six nine"), compared with a price, a level or another
indicator ("crosses above the", "drops below thirty"), actions, stops in percent and timeframes, numbers
spoken as words. The comparison, unit, lookback, setting and condition words are the rule reader's
(reelquant.text.rules.vocab) and the lexicon's.

A trigram model with absolute discounting is estimated from those phrases, its unigrams mixed with the
unigrams of pocketsphinx's general English model. That domain model is then linearly interpolated with
the English model's bigrams, so ordinary speech keeps its context while trading phrases gain theirs.

A registry word the English dictionary lacks is pronounced as the registry spells it out ("cci" as the
registry's "c c i", "supertrend" as "super trend") or as a plural or possessive of a known word; the
model keeps only phrases it can pronounce. The cache key is a hash of the corpus itself, so a change to
the registry, the lexicon, the rule reader's words or the phrase shapes builds a new model.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

from reelquant.text.numbers import spell_number

if TYPE_CHECKING:
    from reelquant.indicators import Scale

# Part of the cache key: a change to how the model is built gets a new folder, never a stale model.
_RECIPE_VERSION = "interpolated-v3"


# Trading words the English dictionary lacks, with the pronunciations a teacher uses (CMU phones).
EXTRA_PRONUNCIATIONS: dict[str, list[str]] = {
    "macd": ["M AE K D IY", "EH M EY S IY D IY"],
    "rsi": ["AA R EH S AY"],
    "atr": ["EY T IY AA R"],
    "sma": ["EH S EH M EY"],
    "donchian": ["D AA N CH IY AH N", "D AO N CH IY AH N"],
    "retracements": ["R IY T R EY S M AH N T S"],
    "doji": ["D OW JH IY"],
    "stoch": ["S T AA K"],
    "wap": ["W AA P"],
}

# The longest phrase of the corpus, in words. A trigram model learns everything a phrase this long can teach,
# and a phrase this short cannot carry a lesson's sentence.
MAX_PHRASE_WORDS = 5

# Counts a speaker gives a window or a lookback in: each one up to thirty, then round numbers.
_COUNTS = (*range(1, 31), 34, 35, 40, 45, 50, 55, 60, 70, 75, 80, 89, 90, 100, 120, 150, 200, 250)
# Percentages of a stop, a target or a move.
_PERCENTS = (0.5, 1, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8, 10, 12, 15, 20, 25)
# How many random draws (of levels, comparisons, stops) a phrase shape gets per indicator name or percentage.
_DRAWS = 6

# The English a speaker puts around the registry's and the lexicon's words. The comparison words themselves
# ("above", "under") come from the rule reader's vocabulary and the lexicon; these verbs go before them, by
# the way they move: down before "below", up before "above", either way before both.
_MOTION: dict[str, tuple[str, ...]] = {
    "down": ("drops", "falls", "dips"),
    "up": ("rises", "climbs"),
    "either": ("is", "closes", "moves", "goes", "stays", "trades", "gets"),
}
_BACK = "back"  # between a crossing verb and its direction: "crosses back above"
_SUBJECTS = ("we", "i", "you")
_POSSESSIVES = ("the", "my", "your", "our")
_USE = "use"  # what the subjects do with an indicator or a term ("we use the", "i use a")
_ACTS = ("buy", "sell", "short", "cover", "exit", "enter")
# Words that open an order phrase a subject can say ("we go long", "i take profit") besides _ACTS.
_ORDER_VERBS = ("go", "take")


def spoken_numbers(value: float) -> list[str]:
    """Every way the corpus says a number: spoken_number's, and for halves "two and a half" too."""
    said = [spoken_number(value)]
    if value >= 1 and value % 1 == 0.5:
        said.append(f"{spell_number(int(value))} and a half")
    return said


def spoken_number(value: float) -> str:
    """A number as a speaker says it: 14 -> "fourteen", 2.5 -> "two point five", 0.02 -> "point zero two"."""
    text = f"{abs(value):g}"
    whole, _, fraction = text.partition(".")
    head = "" if fraction and whole == "0" else spell_number(int(whole))
    tail = " ".join(["point", *(spell_number(int(d)) for d in fraction)]) if fraction else ""
    return " ".join(p for p in ("minus" if value < 0 else "", head, tail) if p)


def spoken_words(phrase: str) -> str:
    """A registry or lexicon phrase as a recognizer writes it: lowercase words, numbers spelled, no marks."""
    text = re.sub(r"\d+(?:\.\d+)?", lambda m: f" {spoken_number(float(m.group()))} ",
                  phrase.lower().replace("%", " percent "))
    return " ".join(re.sub(r"[^a-z' ]", " ", text).split())


def registry_phrases() -> list[str]:
    """Every word and family word of every registry indicator, spoken (misheard forms left out)."""
    from reelquant.indicators import REGISTRY

    phrases = (spoken_words(w) for d in REGISTRY.values() for w in (*d.words, *d.family_words))
    return [p for p in dict.fromkeys(phrases) if p]


def vocabulary_phrases() -> list[str]:
    """The phrases the corpus teaches whole: the registry's (see registry_phrases) and every alias of the
    lexicon file's terms (the lexicon's indicator terms are the registry's, misheard forms included, so
    they are taken from the registry instead)."""
    from reelquant.text.lexicon import load_lexicon, registry_terms

    derived = {t.id for t in registry_terms()}
    others = (spoken_words(a) for t in load_lexicon().terms if t.id not in derived for a in t.aliases)
    return list(dict.fromkeys([*registry_phrases(), *(p for p in others if p)]))


def _levels(scale: Scale) -> list[str]:
    """The values a rule compares an indicator of this scale with, spoken."""
    from reelquant.indicators import Scale

    if scale is Scale.OSCILLATOR:
        return [spell_number(v) for v in range(0, 101, 5)]
    if scale is Scale.NEGATIVE_OSCILLATOR:
        return [spoken_number(-v) for v in range(0, 101, 5)]
    if scale is Scale.UNBOUNDED:
        return ["zero", "the zero line", "one hundred", "minus one hundred", "plus one hundred", "two hundred",
                "minus two hundred"]
    return []


def _grammar() -> dict[str, list[str]]:
    """The rule reader's and the lexicon's words for what a rule says around an indicator, spoken."""
    from reelquant.indicators import DEFAULT_SETTING_WORDS
    from reelquant.text.lexicon import CATEGORIES, load_lexicon, registry_terms
    from reelquant.text.rules import vocab

    lexicon = load_lexicon()
    derived = {t.id for t in registry_terms()}

    def names(*categories: str) -> list[str]:
        return [p for p in dict.fromkeys(spoken_words(t.name) for c in categories for t in lexicon.in_category(c))
                if p]

    def aliases(*categories: str) -> list[str]:
        spoken = (spoken_words(a) for c in categories for t in lexicon.in_category(c) for a in t.aliases)
        return [p for p in dict.fromkeys(spoken) if p]

    # The directions the lexicon's crossing and breaking phrases use ("crosses above", "breaks below").
    pairs = [a.split() for a in aliases("indicators", "market_structure") if len(a.split()) == 2]
    directions = sorted({w for _, w in pairs if w in vocab.ABOVE | vocab.BELOW})
    verbs = {v for vs in _MOTION.values() for v in vs}
    crossings = sorted({" ".join(a) for a in pairs if a[1] in directions and a[0] not in verbs})
    crossings += [f"{c.split()[0]} {_BACK} {c.split()[1]}" for c in crossings]
    moving = [f"{v} {d}" for d in directions for way in ("either", "up" if d in vocab.ABOVE else "down")
              for v in _MOTION[way]]
    units = sorted(u for u in vocab.BAR_UNITS if not u.endswith("s") and u + "s" in vocab.BAR_UNITS)
    orders = aliases("order_types")
    return {
        "direction": directions,
        "crossing": crossings,
        "moving": moving,
        "unit": units,
        "units": [u + "s" for u in units],
        "lookback": sorted(vocab.LOOKBACK),
        "setting": sorted(w for w in vocab.SETTING_WORDS if not w.endswith("s") and w + "s" in vocab.SETTING_WORDS),
        "default": [spoken_words(w) for w in DEFAULT_SETTING_WORDS],
        "condition": sorted(vocab.CONDITIONAL),
        # The nouns among the words for the trade's own entry price ("below my entry", "above the fill").
        "entry": sorted(vocab.ENTRY_REFS - {"bought", "got", "paid"}),
        "order": [o for o in orders if o.split()[0] in (*_ACTS, *_ORDER_VERBS)],
        # Stops, targets and sizing by their usual names (the lexicon's aliases hold misheard ones: "stop lost").
        "risk": names("risk_management", "order_types"),
        # Every term of the lexicon file by its usual name.
        "term": names(*(c for c in CATEGORIES if c != "indicators")) + [
            spoken_words(t.name) for t in lexicon.in_category("indicators") if t.id not in derived],
        "timeframe": aliases("timeframes"),
    }


def trading_corpus(seed: int = 7) -> list[str]:
    """Short trading phrases (at most MAX_PHRASE_WORDS words; a longer one is cut to its last words), made
    only from the indicator registry (names, parameters and their defaults, scales) and the trading lexicon
    (its terms, and the rule reader's words for comparisons, units, lookbacks, settings, conditions and the
    entry price), numbers spoken as words: every phrase of vocabulary_phrases(), each indicator named with
    its windows and settings and compared with prices, levels and other indicators, and the actions, stops
    and timeframes a rule is said with. Random draws are seeded, so every build gets the same corpus."""
    from reelquant.indicators import PRICE_FIELDS, REGISTRY, Scale

    rng = random.Random(seed)
    g = _grammar()
    out: list[str] = []

    def add(*phrases: str) -> None:
        # A longer phrase is taught by its last MAX_PHRASE_WORDS words ("twenty day simple moving average").
        out.extend(" ".join(words[-MAX_PHRASE_WORDS:]) for words in (p.split() for p in phrases) if words)

    def draw(options: list[str] | tuple, k: int = _DRAWS) -> list:
        return rng.sample(list(options), min(k, len(options)))

    for phrase in vocabulary_phrases():
        add(phrase, f"the {phrase}")
    for term in g["term"]:
        add(term, f"the {term}", *(f"{subject} {_USE} the {term}" for subject in _SUBJECTS))
    prices = [p for name in PRICE_FIELDS for p in (spoken_words(w) for w in REGISTRY[name].words)]
    price_lines = [spoken_words(w) for d in REGISTRY.values() if d.scale is Scale.PRICE and d.name not in PRICE_FIELDS
                   for w in d.words]
    for d in REGISTRY.values():
        # The indicator's own words and its family's usual name (the family's other words hold misheard
        # spellings, taught once as phrases above and never combined).
        named = (*d.words, *d.family_words[:1])
        names = [p for p in dict.fromkeys(spoken_words(w).removeprefix("the ") for w in named) if p]
        levels = _levels(d.scale)
        for name in names:
            add(f"the {name}", f"a {name}", f"{rng.choice(g['condition'])} the {name}",
                *(f"{subject} {_USE} the {name}" for subject in _SUBJECTS))
            for p in (p for p in d.params if p.name == "window"):
                # The default window with every unit; every other count below, with one name.
                for n, unit in ((spoken_number(p.default), unit) for unit in g["unit"]):
                    add(f"the {n} {unit} {name}", f"{n} {unit} {name}", f"{name} {n}",
                        f"{name} {rng.choice(g['setting'])} {n}", f"{name} with a {n} {unit}")
            if len([p for p in d.params if p.integer]) > 1:
                said = [spoken_number(p.default) for p in d.params if p.integer]
                add(f"{name} {' '.join(said)}", f"{' '.join(said[:-1])} and {said[-1]}",
                    f"the {rng.choice(g['default'])} {name} settings")
            for p in (p for p in d.params if p.name != "window"):
                values = (p.default, round(p.default * 1.5), max(1, p.default // 2)) if p.integer else (
                    p.default, p.default * 1.5, p.default / 2)
                for value in (said for v in values for said in spoken_numbers(v)):
                    for alias in dict.fromkeys(spoken_words(a) for a in (p.name, *p.aliases)):
                        add(f"{alias} of {value}", f"{value} {alias}")
            for level in draw(levels, 2 * _DRAWS):
                add(f"the {name} {rng.choice(g['moving'])} {level}", f"{name} {rng.choice(g['crossing'])} {level}",
                    f"{rng.choice(g['direction'])} {level}")
            if d.scale is Scale.PRICE and d.name not in PRICE_FIELDS:
                for _ in range(_DRAWS):
                    add(f"{rng.choice(g['crossing'])} the {name}", f"{rng.choice(g['moving'])} the {name}",
                        f"{rng.choice(prices)} {rng.choice(g['moving'])} the {name}",
                        f"the {name} {rng.choice(g['crossing'])} the {rng.choice(price_lines)}")
        if "window" in d.param_names:
            for n in _COUNTS:
                name, unit, said = rng.choice(names), rng.choice(g["unit"]), spoken_number(n)
                add(f"the {said} {unit} {name}", f"{said} {unit} {name}", f"{name} {said}",
                    f"{name} {rng.choice(g['setting'])} {said}", f"{name} with a {said} {unit}")
    # The close, by every noun for it (not "closes" or "closed", its verb forms), moving against whatever
    # follows ("price closes back above").
    closes = [spoken_words(w).removeprefix("the ") for w in REGISTRY["close"].words]
    for price in (c for c in closes if not any(c != o and c.startswith(o) for o in closes)):
        for moving in (*g["moving"], *g["crossing"]):
            add(f"{price} {moving}", f"the {price} {moving}")
    for n in _COUNTS:
        said = spoken_number(n)
        add(f"the {rng.choice(g['lookback'])} {said} {rng.choice(g['units'])}",
            f"{said} {rng.choice(g['units'])} in a row", f"{said} {rng.choice(g['unit'])} high",
            f"{said} {rng.choice(g['unit'])} low")
    for said in (f"{n} percent" for pct in _PERCENTS for n in spoken_numbers(pct)):
        for risk in draw(g["risk"]):
            add(f"{risk} of {said}", f"{said} {risk}")
        for direction in g["direction"]:
            add(f"{said} {direction} {rng.choice(_POSSESSIVES)} {rng.choice(g['entry'])}",
                f"{said} {direction} the {rng.choice(prices)}")
    for possessive in _POSSESSIVES:
        add(*(f"{possessive} {noun}" for noun in (*g["entry"], *g["risk"])))
    for atr in (spoken_words(w) for w in REGISTRY["atr"].words):
        for value in (said for v in (1, 1.5, 2, 2.5, 3) for said in spoken_numbers(v)):
            add(f"{value} times the {atr}", f"{value} {atr}")
    for subject in _SUBJECTS:
        for act in _ACTS:
            add(f"{subject} {act}", *(f"{subject} {act} {c}" for c in g["condition"]))
        for order in g["order"]:
            add(f"{subject} {order}")
    for tf in g["timeframe"]:
        add(f"on the {tf}", f"on a {tf}")
    return out


def load_ngram_model(path: str | Path) -> tuple:
    """(model, its LogMath, its Config) for a pocketsphinx n-gram file. The model points into the LogMath and
    Config it was made with without owning them: callers keep all three alive together (a temporary LogMath
    is freed under the model, which then reads and writes garbage probabilities)."""
    from pocketsphinx import Config, LogMath, NGramModel

    config, logmath = Config(), LogMath()
    return NGramModel(config, logmath, str(path)), logmath, config


def _general_unigrams(model_dir: Path, dictionary: Path, top: int) -> dict[str, float]:
    """log10 probabilities, under pocketsphinx's English model, of its `top` most likely dictionary words."""
    lm, _logmath, _config = load_ngram_model(model_dir / "en-us.lm.bin")
    words = []
    for line in dictionary.read_text(encoding="utf-8", errors="replace").splitlines():
        word = line.split(" ", 1)[0]
        if word and "(" not in word:
            words.append(word)
    scored = []
    scale = math.log10(1.0001)  # pocketsphinx reports log probabilities in base 1.0001
    for w in words:
        scored.append((lm.prob([w]) * scale, w))
    scored.sort(reverse=True)
    return {w: p for p, w in scored[:top] if p > -7.0}


def build_arpa(
    sentences: list[str], general: dict[str, float], general_weight: float = 0.3, discount: float = 0.5
) -> str:
    """ARPA text of a trigram model of `sentences` (absolute discounting, back-off), whose unigrams
    are mixed with the `general` unigram log10 probabilities at `general_weight`."""
    counts = [Counter(), Counter(), Counter()]
    for s in sentences:
        toks = ["<s>", *s.split(), "</s>"]
        for n in range(3):
            for i in range(len(toks) - n):
                gram = tuple(toks[i : i + n + 1])
                if gram != ("<s>",):
                    counts[n][gram] += 1
    vocab = {g[0] for g in counts[0]} | set(general) | {"<s>"}
    total = sum(counts[0].values())
    gen_total = sum(10**p for p in general.values())
    uni: dict[str, float] = {}
    for w in vocab:
        dom = counts[0].get((w,), 0) / total
        gen = 10 ** general[w] / gen_total if w in general else 0.0
        uni[w] = (1 - general_weight) * dom + general_weight * gen
    uni["<s>"] = 0.0

    def prob_lower(gram: tuple[str, ...], probs: list[dict], bows: list[dict]) -> float:
        """Back-off probability of the last word of `gram` given its history (lengths 1..n)."""
        if len(gram) == 1:
            return uni.get(gram[0], 1e-12) or 1e-12
        p = probs[len(gram) - 1].get(gram)
        if p is not None:
            return p
        return bows[len(gram) - 2].get(gram[:-1], 1.0) * prob_lower(gram[1:], probs, bows)

    probs: list[dict[tuple[str, ...], float]] = [{(w,): uni[w] for w in vocab}, {}, {}]
    bows: list[dict[tuple[str, ...], float]] = [{}, {}]
    for n in (1, 2):
        hist_total: Counter = Counter()
        hist_types: Counter = Counter()
        for gram, c in counts[n].items():
            hist_total[gram[:-1]] += c
            hist_types[gram[:-1]] += 1
        for gram, c in counts[n].items():
            h = gram[:-1]
            lower = prob_lower(gram[1:], probs, bows)
            probs[n][gram] = max(c - discount, 0) / hist_total[h] + discount * hist_types[h] / hist_total[h] * lower
        by_hist: dict[tuple[str, ...], list[tuple[str, ...]]] = defaultdict(list)
        for gram in counts[n]:
            by_hist[gram[:-1]].append(gram)
        for h, grams in by_hist.items():
            seen = sum(probs[n][g] for g in grams)
            seen_lower = sum(prob_lower(g[1:], probs, bows) for g in grams)
            bows[n - 1][h] = max(1e-9, 1 - seen) / max(1e-9, 1 - seen_lower)
    lines = ["\\data\\"] + [f"ngram {n + 1}={len(probs[n])}" for n in range(3)] + [""]
    for n in range(3):
        lines.append(f"\\{n + 1}-grams:")
        for gram, p in sorted(probs[n].items()):
            lp = -99.0 if gram == ("<s>",) else math.log10(max(p, 1e-12))
            row = f"{lp:.4f}\t{' '.join(gram)}"
            if n < 2:
                bow = bows[n].get(gram, 1.0) if n < 2 else 1.0
                row += f"\t{math.log10(bow):.4f}"
            lines.append(row)
        lines.append("")
    lines.append("\\end\\")
    return "\n".join(lines) + "\n"


def read_arpa(path: str | Path, vocab: set[str] | None = None, max_order: int = 3) -> list[dict[str, list[float]]]:
    """N-grams of an ARPA file as [{"w1 w2": [probability, back-off weight]}, ...] per order (linear values),
    keeping only n-grams whose words are all in `vocab` (when given). Malformed or cut-off lines are skipped."""
    grams: list[dict[str, list[float]]] = [{} for _ in range(max_order)]
    order = 0
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("\\"):
                m = re.match(r"\\(\d)-grams:", line)
                order = int(m.group(1)) if m else 0
                if order > max_order:
                    break  # sections come in order: nothing further is wanted
                continue
            parts = line.split()
            if not order or len(parts) < order + 1:
                continue
            words = parts[1 : order + 1]
            if vocab is not None and any(w not in vocab for w in words):
                continue
            values = _valid_row(parts, order)
            if values is not None:
                grams[order - 1][" ".join(words)] = [10.0 ** values[0], 10.0 ** values[1]]
    return grams


def _valid_row(parts: list[str], order: int) -> tuple[float, float] | None:
    """(log10 probability, log10 back-off) of an ARPA row of `order` words, or None for a damaged row."""
    if len(parts) < order + 1:
        return None
    try:
        lp = float(parts[0])
        bow = float(parts[order + 1]) if len(parts) > order + 1 else 0.0
    except ValueError:
        return None
    return (lp, bow) if -99.0 <= lp <= 0.0 and -99.0 <= bow <= 99.0 else None


def _backoff_prob(grams: list[dict[str, list[float]]], words: list[str]) -> float:
    """p(last word | the words before it) under a back-off model held as read_arpa returns it."""
    entry = grams[len(words) - 1].get(" ".join(words))
    if entry is not None and words != ["<s>"]:
        return entry[0]
    if len(words) == 1:
        return 0.0
    history = grams[len(words) - 2].get(" ".join(words[:-1]))
    return (history[1] if history else 1.0) * _backoff_prob(grams, words[1:])


def interpolate(domain: list[dict[str, list[float]]], general: list[dict[str, list[float]]],
                domain_weight: float) -> list[dict[str, list[float]]]:
    """Linear interpolation p = w * p_domain + (1 - w) * p_general of two back-off models, as one back-off model.

    Every n-gram either model lists gets the mixed probability (each side computed with its own back-off);
    unigrams are renormalized over the shared vocabulary, and each history's back-off weight is recomputed
    so that every conditional distribution sums to one.
    """
    order = len(domain)
    mixed: list[dict[str, list[float]]] = [{} for _ in range(order)]
    for n in range(order):
        for key in set(domain[n]) | set(general[n]):
            words = key.split(" ")
            p = domain_weight * _backoff_prob(domain, words) + (1 - domain_weight) * _backoff_prob(general, words)
            mixed[n][key] = [p, 1.0]
    total = sum(v[0] for k, v in mixed[0].items() if k != "<s>")
    for k, v in mixed[0].items():
        v[0] = 0.0 if k == "<s>" else max(v[0] / total, 1e-12)
    for n in range(1, order):
        seen: dict[str, float] = defaultdict(float)
        seen_lower: dict[str, float] = defaultdict(float)
        for key, v in mixed[n].items():
            words = key.split(" ")
            history = " ".join(words[:-1])
            seen[history] += v[0]
            seen_lower[history] += _backoff_prob(mixed, words[1:])
        for history, mass in seen.items():
            if history in mixed[n - 1]:
                mixed[n - 1][history][1] = max(1e-9, 1 - mass) / max(1e-9, 1 - seen_lower[history])
    return mixed


def write_arpa(grams: list[dict[str, list[float]]], path: str | Path) -> None:
    """Write a model held as read_arpa returns it as ARPA text."""
    with open(path, "w", encoding="utf-8") as f:
        f.write("\\data\\\n" + "".join(f"ngram {n + 1}={len(g)}\n" for n, g in enumerate(grams)) + "\n")
        for n, g in enumerate(grams):
            f.write(f"\\{n + 1}-grams:\n")
            for key, (p, bow) in sorted(g.items()):
                lp = -99.0 if key == "<s>" else math.log10(max(p, 1e-12))
                tail = f"\t{math.log10(max(bow, 1e-12)):.4f}" if n < len(grams) - 1 else ""
                f.write(f"{lp:.4f}\t{key}{tail}\n")
            f.write("\n")
        f.write("\\end\\\n")


_EXPORT = (
    "import sys\n"
    "from pocketsphinx import NGramModel\n"
    "from reelquant.speech.lm import load_ngram_model\n"
    "lm, logmath, config = load_ngram_model(sys.argv[1])\n"
    "lm.write(sys.argv[2], NGramModel.str_to_type('arpa'))\n"
)


def export_english_bigrams(model_dir: str | Path, out: str | Path, min_share: float = 0.999) -> Path:
    """pocketsphinx's English model (a binary trie) as ARPA text with its unigrams and bigrams.

    pocketsphinx 5.1's ARPA writer crashes on this model once its bigram section is (all but) written,
    so the export runs in a child process, and the text is used only when its unigram section is whole
    and at least `min_share` of the bigrams the header declares are there with values that are log10
    probabilities; otherwise this raises.
    """
    out = Path(out)
    subprocess.run([sys.executable, "-c", _EXPORT, str(Path(model_dir) / "en-us.lm.bin"), str(out)],
                   capture_output=True, check=False, timeout=600)
    declared: dict[int, int] = {}
    found: Counter = Counter()
    order = 0
    if out.is_file():
        with open(out, encoding="utf-8", errors="replace") as f:
            for line in f:
                if m := re.match(r"ngram (\d)=(\d+)", line):
                    declared[int(m.group(1))] = int(m.group(2))
                elif m := re.match(r"\\(\d)-grams:", line):
                    order = int(m.group(1))
                elif order and _valid_row(line.split(), order):
                    found[order] += 1
    if not declared or found[1] < declared.get(1, 1) or found[2] < min_share * declared.get(2, 1):
        raise RuntimeError(
            f"the English model's n-grams could not be exported from {model_dir} (found {dict(found)} of "
            f"{declared}); the trading model keeps only the English unigrams."
        )
    return out


def _pronunciations(dictionary: Path) -> dict[str, list[str]]:
    pron: dict[str, list[str]] = defaultdict(list)
    for line in dictionary.read_text(encoding="utf-8", errors="replace").splitlines():
        word, _, phones = line.partition(" ")
        if phones:
            pron[re.sub(r"\(\d+\)$", "", word)].append(phones.strip())
    for word, phones_list in EXTRA_PRONUNCIATIONS.items():
        pron.setdefault(word, list(phones_list))
    _derive_registry_pronunciations(pron)
    return pron


def _derive_registry_pronunciations(pron: dict[str, list[str]]) -> None:
    """Pronounce registry words the dictionary lacks the way the registry says them.

    A word that another registry phrase spells out ("cci" beside "c c i", "psar" beside "p sar",
    "supertrend" beside "super trend") takes that phrase's sounds; "emas" and "keltner's" take their
    stem's with a final Z. Words neither way can pronounce stay out of the model.
    """
    phrases = [p.split() for p in registry_phrases()]

    def sounds(word: str) -> str:
        # A letter is spelled by its name: the dictionary lists "a" as AH before EY.
        return pron[word][-1] if len(word) == 1 else pron[word][0]

    spelled: dict[str, str] = {}
    for words in phrases:
        if len(words) > 1 and all(w in pron for w in words):
            spelled.setdefault("".join(words), " ".join(sounds(w) for w in words))
    for words in phrases:
        for word in words:
            if word in pron:
                continue
            stem = word.removesuffix("'s") if word.endswith("'s") else word.removesuffix("s")
            if word in spelled:
                pron[word] = [spelled[word]]
            elif stem != word and stem in pron:
                pron[word] = [f"{p} Z" for p in pron[stem]]


def build_trading_model(folder: str | Path, model_dir: str | Path, general_words: int = 8000,
                        general_weight: float = 0.5, vocabulary: int = 20000, domain_weight: float = 0.3) -> dict:
    """Write trading.lm.bin, trading.dict and recipe.json into `folder`.

    The domain part is a trigram model of trading_corpus() whose unigrams are mixed with the `general_words`
    most likely English words. It is then interpolated (`domain_weight`) with the bigrams of pocketsphinx's
    English model over a vocabulary of the domain words and the `vocabulary` most likely pronounceable English
    words. If the English n-grams cannot be exported, the domain part alone is the model (recipe says why).
    """
    from pocketsphinx import NGramModel

    folder, model_dir = Path(folder), Path(model_dir)
    folder.mkdir(parents=True, exist_ok=True)
    dictionary = model_dir / "cmudict-en-us.dict"
    pron = _pronunciations(dictionary)
    sentences = [s for s in trading_corpus() if all(w in pron for w in s.split())]
    general = {w: p for w, p in _general_unigrams(model_dir, dictionary, general_words).items() if w in pron}
    (folder / "domain.arpa").write_text(build_arpa(sentences, general, general_weight=general_weight), encoding="utf-8")
    domain = read_arpa(folder / "domain.arpa")
    recipe: dict = {"domain_sentences": len(sentences), "domain_weight": domain_weight, "vocabulary": vocabulary}
    try:
        english = export_english_bigrams(model_dir, folder / "english.arpa")
        unigrams = read_arpa(english, max_order=1)[0]
        top = sorted(((v[0], w) for w, v in unigrams.items() if w in pron), reverse=True)[:vocabulary]
        vocab = set(domain[0]) | {w for _, w in top} | {"<s>", "</s>"}
        english_grams = read_arpa(english, vocab, max_order=2) + [{}]
        mixed = interpolate(domain, english_grams, domain_weight)
        recipe.update(kind="interpolated", english_bigrams=len(english_grams[1]))
    except (RuntimeError, OSError, ArithmeticError, subprocess.SubprocessError) as exc:
        mixed = domain
        recipe.update(kind="domain-only", reason=str(exc))
    finally:
        (folder / "english.arpa").unlink(missing_ok=True)
    write_arpa(mixed, folder / "part.arpa")
    lm, _logmath, _config = load_ngram_model(folder / "part.arpa")
    lm.write(str(folder / "part.lm.bin"), NGramModel.str_to_type("bin"))
    del lm
    words = sorted(w for w in mixed[0] if w not in ("<s>", "</s>"))
    dict_lines = [f"{w}{'' if i == 0 else f'({i + 1})'} {phones}" for w in words for i, phones in enumerate(pron[w])]
    recipe.update(unigrams=len(mixed[0]), bigrams=len(mixed[1]), trigrams=len(mixed[2]))
    (folder / "part.dict").write_text("\n".join(dict_lines) + "\n", encoding="utf-8")
    (folder / "part.arpa").unlink()
    (folder / "part.dict").replace(folder / "trading.dict")
    (folder / "part.lm.bin").replace(folder / "trading.lm.bin")
    (folder / "recipe.json").write_text(json.dumps(recipe, indent=2), encoding="utf-8")
    return recipe


def model_key() -> str:
    """What the model is built from, hashed: the build recipe's version, the extra pronunciations and the
    corpus itself (seeded, so its phrases carry the registry, the lexicon and the rule reader's words)."""
    corpus = hashlib.sha256("\n".join(trading_corpus()).encode()).hexdigest()
    recipe = f"{_RECIPE_VERSION}\n{corpus}\n{EXTRA_PRONUNCIATIONS}"
    return hashlib.sha256(recipe.encode()).hexdigest()[:12]


def trading_language_model(cache_dir: str | Path, model_dir: str | Path) -> tuple[Path, Path]:
    """(binary language model, pronunciation dictionary) of the trading model, built once under `cache_dir`.

    The build (under a minute, under 1 GB) runs in a child process, so the memory it needs is never held
    by the process that transcribes. Concurrent callers (runs in parallel) wait on a lock file and share
    one build, which lands in place by renaming a finished folder.
    """
    import fcntl

    model_dir = Path(model_dir)
    folder = Path(cache_dir) / f"trading-lm-{model_key()}"
    lm, dic = folder / "trading.lm.bin", folder / "trading.dict"
    if lm.is_file() and dic.is_file():
        return lm, dic
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.with_name(folder.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (lm.is_file() and dic.is_file()):
            work = folder.with_name(f"{folder.name}.{os.getpid()}.tmp")
            shutil.rmtree(work, ignore_errors=True)
            proc = subprocess.run([sys.executable, "-m", "reelquant.speech.lm", str(work), str(model_dir)],
                                  capture_output=True, text=True, check=False)
            if proc.returncode != 0 or not (work / "trading.lm.bin").is_file():
                shutil.rmtree(work, ignore_errors=True)
                last = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
                raise RuntimeError(f"the trading language model could not be built under {cache_dir}: {last[0]}")
            shutil.rmtree(folder, ignore_errors=True)
            work.rename(folder)
    return lm, dic


def trading_model_recipe(lm_path: str | Path) -> dict:
    """What build_trading_model wrote beside `lm_path` (kind "interpolated" or "domain-only", sizes)."""
    path = Path(lm_path).with_name("recipe.json")
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def default_cache_dir() -> Path:
    """Where the trading model is kept when no folder is configured: the user's cache, shared by every
    data root on the machine (the model depends only on pocketsphinx's English model and this module)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "reelquant" / "lm"


if __name__ == "__main__":
    print(json.dumps(build_trading_model(Path(sys.argv[1]), Path(sys.argv[2]))))
