"""A Whisper with tiny's dimensions and random weights, built offline, for the tests of the loading path.

Its tokenizer is the real multilingual Whisper BPE, rebuilt from the `multilingual.tiktoken` ranks that ship
inside the openai-whisper package; it loads and runs through faster-whisper exactly as a trained model does
(same tokenizer, same shapes), but its text is junk.
"""

from __future__ import annotations

import base64
import functools
import importlib.util
import re
from pathlib import Path
from typing import Any

from reelquant.speech.engines import EngineUnavailableError


def _whisper_package_dir() -> Path:
    spec = importlib.util.find_spec("whisper")
    if spec is None or not spec.submodule_search_locations:
        raise EngineUnavailableError(
            "the openai-whisper package, whose tokenizer ranks build the tiny Whisper, is not installed; "
            "pip install openai-whisper --no-deps."
        )
    return Path(list(spec.submodule_search_locations)[0])


def _bytes_to_unicode() -> dict[int, str]:
    # GPT-2's reversible byte-to-character map, which byte-level BPE vocabularies are written in.
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs), strict=True))


@functools.cache
def whisper_tokenizer(n_languages: int = 99) -> tuple[Any, list[str]]:
    """The multilingual Whisper tokenizer as a `tokenizers.Tokenizer`, built from tiktoken ranks.

    Merges are recovered the way tiktoken applies them: a token of rank r is the pair that BPE
    over its bytes, with only ranks below r allowed, ends on. Special tokens follow Whisper's order.
    Cached: treat the result as read-only.
    """
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers

    root = _whisper_package_dir()
    ranks: dict[bytes, int] = {}
    for line in (root / "assets" / "multilingual.tiktoken").read_text().splitlines():
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    b2u = _bytes_to_unicode()

    def enc(b: bytes) -> str:
        return "".join(b2u[x] for x in b)

    merges = []
    for token, rank in sorted(ranks.items(), key=lambda kv: kv[1]):
        if len(token) < 2:
            continue
        parts = [bytes([x]) for x in token]
        while True:
            best = min(((ranks[parts[i] + parts[i + 1]], i) for i in range(len(parts) - 1)
                        if ranks.get(parts[i] + parts[i + 1], rank) < rank), default=None)
            if best is None:
                break
            i = best[1]
            parts[i:i + 2] = [parts[i] + parts[i + 1]]
        assert len(parts) == 2, token
        merges.append((enc(parts[0]), enc(parts[1])))
    source = (root / "tokenizer.py").read_text()
    codes = re.findall(r'^\s*"([a-z]+)":', re.search(r"LANGUAGES = \{(.*?)\n\}", source, re.S).group(1), re.M)
    tok = Tokenizer(models.BPE(vocab={enc(t): r for t, r in ranks.items()}, merges=merges))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    specials = ["<|endoftext|>", "<|startoftranscript|>", *[f"<|{c}|>" for c in codes[:n_languages]],
                "<|translate|>", "<|transcribe|>", "<|startoflm|>", "<|startofprev|>", "<|nospeech|>",
                "<|notimestamps|>", *[f"<|{i * 0.02:.2f}|>" for i in range(1501)]]
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    return tok, codes[:n_languages]


def build_random_whisper(out_dir: str | Path, seed: int = 0) -> Path:
    """A Whisper with tiny's dimensions and random weights, in CTranslate2 int8 format, under `out_dir`.

    A real stand-in for tests and benchmarks: it loads and runs through faster-whisper exactly as a
    trained model does (same tokenizer, same shapes, same cost), but its text is junk.
    """
    import ctranslate2
    import torch
    from transformers import (
        GenerationConfig,
        PreTrainedTokenizerFast,
        WhisperConfig,
        WhisperForConditionalGeneration,
    )

    tok, codes = whisper_tokenizer()
    root = Path(out_dir)
    hf = root / "hf"
    torch.manual_seed(seed)
    config = WhisperConfig(vocab_size=51865, num_mel_bins=80, d_model=384, encoder_layers=4, decoder_layers=4,
                           encoder_attention_heads=6, decoder_attention_heads=6, encoder_ffn_dim=1536,
                           decoder_ffn_dim=1536, max_source_positions=1500, max_target_positions=448,
                           decoder_start_token_id=50258, eos_token_id=50257, pad_token_id=50257,
                           bos_token_id=50257)
    WhisperForConditionalGeneration(config).save_pretrained(hf)
    PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|endoftext|>", bos_token="<|endoftext|>",
                            unk_token="<|endoftext|>").save_pretrained(hf)
    GenerationConfig(decoder_start_token_id=50258, eos_token_id=50257,
                     lang_to_id={f"<|{c}|>": tok.token_to_id(f"<|{c}|>") for c in codes}).save_pretrained(hf)
    out = root / "ct2"
    ctranslate2.converters.TransformersConverter(str(hf), copy_files=["tokenizer.json"]).convert(
        str(out), quantization="int8", force=True)
    return out
