"""A trading-language n-gram model for pocketsphinx, written as ARPA text at run time.

Sentences are generated from the trading lexicon and rule templates (never from labeled lessons); a
trigram model with absolute discounting is estimated from them, and its unigrams are mixed with the
unigrams of pocketsphinx's general English model so ordinary speech stays recognizable.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
from collections import Counter, defaultdict
from pathlib import Path

from reelquant.text.numbers import spell_number


def spoken_number(n: int) -> str:
    """English words for a whole number, as a speaker says them."""
    return spell_number(n)


# Trading words the English dictionary lacks, with the pronunciations a teacher uses (CMU phones).
EXTRA_PRONUNCIATIONS: dict[str, list[str]] = {
    "macd": ["M AE K D IY", "EH M EY S IY D IY"],
    "rsi": ["AA R EH S AY"],
    "atr": ["EY T IY AA R"],
    "sma": ["EH S EH M EY"],
    "donchian": ["D AA N CH IY AH N", "D AO N CH IY AH N"],
    "retracements": ["R IY T R EY S M AH N T S"],
    "doji": ["D OW JH IY"],
}

_WINDOWS = [2, 3, 5, 7, 9, 10, 12, 14, 15, 20, 21, 26, 30, 40, 50, 55, 60, 89, 100, 150, 200]
_LEVELS = [0, 5, 10, 15, 20, 25, 30, 35, 40, 50, 60, 65, 70, 75, 80, 85, 90, 95]
_PCTS = ["one", "two", "three", "four", "five", "six", "eight", "ten", "one and a half", "two and a half"]
_UNITS = ["day", "period", "bar", "week"]

# Rule templates; {x} slots are filled from the lists below. Written for this model, not taken from lessons.
_TEMPLATES = [
    "{when} {price} {cross} {avg} {act}",
    "{when} {avg} {cross} {avg2} {act}",
    "{act} {when} {avg} {cross} {avg2}",
    "{act} {when} {price} {cross} {avg}",
    "{when} {osc} {move} {level} {act}",
    "{act} {when} {osc} {move} {level}",
    "{when} {price} {move} {band} {act}",
    "{act} {when} {price} {move} {band}",
    "{when} {price} {move} {channel} {act}",
    "{act} {when} {price} {move} {channel}",
    "{when} the macd line {cross} the signal line {act}",
    "{act} {when} the macd line {cross} the signal line",
    "{when} the macd histogram {move} zero {act}",
    "{price} {must} {move} {avg}",
    "{price} {must} {move} {avg} before {we} {act2}",
    "{when} {price} is {dir} that line {we} {wait}",
    "if {price} is {dir} {avg} {we} stay out",
    "{we} only {act2} when {price} is {dir} {avg}",
    "the trend filter is {avg}",
    "{both} {hold} {time}",
    "{we} use {avg} {on} {tf}",
    "{we} use the {std} {ind} {on} {tf}",
    "{we} use the classic macd settings {a} {b} and {c}",
    "the settings are {a} {b} and {c}",
    "{we} use {ind_n} {on} {tf}",
    "the stop loss is {pct} percent below the entry",
    "{we} place a stop loss {pct} percent below {our} entry price",
    "{we} use a trailing stop of {pct} percent",
    "{we} take profit at {pct} percent",
    "the target is {pct} percent above the entry",
    "{we} use a {n} day a t r for the stop",
    "{we} trade only the {side} side",
    "this is a {side} only strategy",
    "{we} do not short",
    "no shorting",
    "{we} hold the position until {osc} {move} {level}",
    "{we} stay in the trade until {avg} {cross} {avg2}",
    "the exit is when {osc} {move} {level}",
    "the entry is when {price} {move} {band}",
    "{we} buy at the next open",
    "{we} sell at the close",
    "{we} exit the position and go to cash",
    "{we} use a {n} day donchian channel",
    "the bands are {k} standard deviations above and below the {n} period moving average",
    "some traders use the {ind} but {we} do not",
    "{we} never use the {ind}",
    "this is a breakout system",
    "{when} {osc} {move} {level} {state} and that is {where} {we} {act2}",
    "{when} {price} {move} {band} {state} and that is {where} {we} {act2}",
    "that is {where} {we} {act2}",
    "that is our {act2} signal",
    "the stop is {k} times the average true range",
    "{we} put the stop {k} a t r below the entry",
    "{act} {when} {price} {move} the highest high of the {recent} {n} {bars}",
    "{act} {when} {price} {move} the lowest low of the {recent} {n} {bars}",
    "{when} {price} makes a new {n} {unit} high {act}",
    "{we} trade {ind} with a small account",
    "today {we} talk about {ind}",
    "this is a mean reversion strategy",
]


def _slots(rng: random.Random) -> dict[str, str]:
    def n() -> str:
        return spoken_number(rng.choice(_WINDOWS))

    kind = rng.choice(
        ["simple moving average", "exponential moving average", "moving average", "average", "e m a", "s m a"]
    )
    avg, avg2 = (f"the {n()} {rng.choice(_UNITS)} {kind}" if rng.random() < 0.8 else f"the {n()} {kind}"
                 for _ in range(2))
    osc_name = rng.choice(["r s i", "rsi", "relative strength index", "stochastic", "percent k line", "macd"])
    osc = rng.choice([f"the {osc_name}", f"the {n()} period {osc_name}", f"the {n()} day {osc_name}"])
    ind = rng.choice(
        ["r s i", "macd", "bollinger bands", "stochastic", "average true range", "a t r", "moving averages",
         "e m a", "donchian channel", "volume", "support and resistance", "fibonacci retracements"]
    )
    return {
        "when": rng.choice(["when", "when", "if", "once", "as soon as", "whenever"]),
        "price": rng.choice(["the price", "price", "the close", "today's close", "the daily close", "the market",
                             "the stock"]),
        "cross": rng.choice(["crosses above", "crosses below", "crosses back above", "crosses back below",
                             "crosses over", "crosses under"]),
        "move": rng.choice(["drops below", "rises above", "falls below", "climbs above", "closes above",
                            "closes below", "is above", "is below", "breaks above", "breaks below",
                            "goes above", "moves below", "crosses above", "crosses below"]),
        "dir": rng.choice(["above", "below"]),
        "avg": avg,
        "avg2": avg2,
        "osc": osc,
        "level": spoken_number(rng.choice(_LEVELS)),
        "band": rng.choice(["the lower band", "the upper band", "the middle band", "the lower bollinger band",
                            "the upper bollinger band", "the lower bands"]),
        "channel": rng.choice(["the upper channel", "the lower channel", "the upper donchian channel",
                               "the lower donchian channel"]),
        "act": rng.choice(["we buy", "i buy", "we sell", "i sell", "we go long", "we go short", "we exit",
                           "we close the position", "we take the profit", "we cover", "that is the entry",
                           "that is the exit", "we get out", "i buy at the close"]),
        "act2": rng.choice(["buy", "enter", "trade", "sell", "go long", "short"]),
        "must": rng.choice(["must be", "has to be", "needs to be", "should be", "must stay", "must close"]),
        "we": rng.choice(["we", "i", "you"]),
        "our": rng.choice(["our", "my", "your", "the"]),
        "on": rng.choice(["on", "on the"]),
        "tf": rng.choice(["daily candles", "daily chart", "daily bars", "the hourly chart", "weekly bars",
                          "the four hour chart", "fifteen minute candles"]),
        "std": rng.choice(["standard", "default", "classic", "usual"]),
        "ind": ind,
        "ind_n": f"a {n()} period {rng.choice(['r s i', 'e m a', 's m a', 'a t r', 'stochastic', 'moving average'])}",
        "a": spoken_number(rng.choice([5, 8, 12])),
        "b": spoken_number(rng.choice([21, 26, 34])),
        "c": spoken_number(rng.choice([5, 9])),
        "pct": rng.choice(_PCTS),
        "k": rng.choice(["one", "one and a half", "two", "two point five", "three"]),
        "n": n(),
        "side": rng.choice(["long", "short"]),
        "bars": rng.choice(["days", "bars", "sessions", "weeks"]),
        "recent": rng.choice(["last", "past", "prior", "previous"]),
        "state": rng.choice(["the market is oversold", "the market is overbought", "the move is stretched",
                             "the trend has turned", "momentum is strong", "the stock is weak"]),
        "where": rng.choice(["where", "when"]),
        "unit": rng.choice(_UNITS),
        "time": rng.choice(["on the same bar", "at the same time", "before you buy", "together", ""]),
        "both": rng.choice(["both conditions", "both rules", "all three conditions", "both filters"]),
        "hold": rng.choice(["must hold", "have to agree", "must line up", "need to be true"]),
        "wait": rng.choice(["stand aside", "stay flat", "do nothing at all", "sit on our hands", "stay out"]),
    }


def lesson_corpus(sentences: int = 6000, seed: int = 7) -> list[str]:
    """Trading-lesson sentences from the templates above and every alias in the trading lexicon."""
    from reelquant.text.lexicon import load_lexicon

    rng = random.Random(seed)
    out = []
    for i in range(sentences):
        template = _TEMPLATES[i % len(_TEMPLATES)]
        slots = _slots(rng)
        out.append(re.sub(r"\s+", " ", template.format(**slots)).strip())
    for term in load_lexicon().terms:
        for alias in term.aliases:
            words = re.sub(r"[^a-z' ]", " ", alias.lower()).split()
            if words:
                out.append(" ".join(words))
                out.append("we use the " + " ".join(words))
    return out


def _general_unigrams(model_dir: Path, dictionary: Path, top: int) -> dict[str, float]:
    """log10 probabilities, under pocketsphinx's English model, of its `top` most likely dictionary words."""
    from pocketsphinx import Config, LogMath, NGramModel

    logmath = LogMath()
    lm = NGramModel(Config(), logmath, str(model_dir / "en-us.lm.bin"))
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


def trading_language_model(cache_dir: str | Path, model_dir: str | Path, general_words: int = 8000,
                           general_weight: float = 0.5) -> tuple[Path, Path]:
    """(ARPA file, pronunciation dictionary) of the trading model, written once under `cache_dir`.

    Words the English dictionary cannot pronounce are left out of the model.
    """
    model_dir = Path(model_dir)
    dictionary = model_dir / "cmudict-en-us.dict"
    recipe = f"{general_words} {general_weight}\n{_TEMPLATES}\n{EXTRA_PRONUNCIATIONS}"
    key = hashlib.sha256(recipe.encode()).hexdigest()[:12]
    folder = Path(cache_dir) / f"trading-lm-{key}"
    arpa, dic = folder / "trading.arpa", folder / "trading.dict"
    if arpa.is_file() and dic.is_file():
        return arpa, dic
    pron: dict[str, list[str]] = defaultdict(list)
    for line in dictionary.read_text(encoding="utf-8", errors="replace").splitlines():
        word, _, phones = line.partition(" ")
        if phones:
            pron[re.sub(r"\(\d+\)$", "", word)].append(phones.strip())
    for word, phones_list in EXTRA_PRONUNCIATIONS.items():
        pron.setdefault(word, list(phones_list))
    sentences = [s for s in lesson_corpus() if all(w in pron for w in s.split())]
    general = {w: p for w, p in _general_unigrams(model_dir, dictionary, general_words).items() if w in pron}
    text = build_arpa(sentences, general, general_weight=general_weight)
    words = sorted({w for s in sentences for w in s.split()} | set(general))
    folder.mkdir(parents=True, exist_ok=True)
    dict_lines = []
    for w in words:
        for i, phones in enumerate(pron[w]):
            dict_lines.append(f"{w}{'' if i == 0 else f'({i + 1})'} {phones}")
    (folder / "part.dict").write_text("\n".join(dict_lines) + "\n", encoding="utf-8")
    (folder / "part.arpa").write_text(text, encoding="utf-8")
    (folder / "part.dict").replace(dic)
    (folder / "part.arpa").replace(arpa)
    return arpa, dic


