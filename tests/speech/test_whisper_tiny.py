"""FasterWhisperEngine through its real loading path, on a tiny Whisper with random weights built here.

The tokenizer is the real multilingual Whisper BPE, rebuilt from the `multilingual.tiktoken` ranks
that ship inside the openai-whisper package; the weights are random, so the text is junk and only
the structure (times, words, order, language) is checked.
"""

from __future__ import annotations

import base64
import importlib.util
import re
from pathlib import Path

import pytest

from reelquant.speech.engines import EngineUnavailableError
from reelquant.speech.whisper import FasterWhisperEngine

pytest.importorskip("faster_whisper")
pytest.importorskip("ctranslate2")
pytest.importorskip("transformers")


def _whisper_package_dir() -> Path:
    spec = importlib.util.find_spec("whisper")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("the openai-whisper package (source of the Whisper tokenizer ranks) is not installed")
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


def whisper_tokenizer(n_languages: int = 99):
    """The multilingual Whisper tokenizer as a `tokenizers.Tokenizer`, built from tiktoken ranks.

    Merges are recovered the way tiktoken applies them: a token of rank r is the pair that BPE
    over its bytes, with only ranks below r allowed, ends on. Special tokens follow Whisper's order.
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


@pytest.fixture(scope="session")
def tiny_whisper(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Whisper with tiny's dimensions and random weights, converted to CTranslate2 int8."""
    import ctranslate2
    import torch
    from transformers import (
        GenerationConfig,
        PreTrainedTokenizerFast,
        WhisperConfig,
        WhisperForConditionalGeneration,
    )

    tok, codes = whisper_tokenizer()
    root = tmp_path_factory.mktemp("tiny_whisper")
    hf = root / "hf"
    torch.manual_seed(0)
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


def test_tokenizer_matches_whisper_ids() -> None:
    # Known ids of the multilingual Whisper vocabulary: BPE pieces, then the special-token block.
    tok, _ = whisper_tokenizer()
    assert tok.encode(" Buy when the RSI crosses above 30.").ids == [19146, 562, 264, 497, 20262, 28467, 3673,
                                                                      2217, 13]
    assert tok.token_to_id("<|endoftext|>") == 50257
    assert tok.token_to_id("<|notimestamps|>") == 50363
    assert tok.get_vocab_size() == 51865


def test_unconfigured_and_missing_models_say_why(tmp_path: Path) -> None:
    ok, why = FasterWhisperEngine().available()
    assert not ok and "faster_whisper_model" in why
    ok, why = FasterWhisperEngine(tmp_path).available()
    assert not ok and "model.bin" in why
    ok, why = FasterWhisperEngine("no-such-whisper-model").available()
    assert not ok and "local" in why
    with pytest.raises(EngineUnavailableError, match="faster_whisper cannot run"):
        FasterWhisperEngine().transcribe(Path("unused.wav"))


def test_tiny_model_loads_once_and_returns_timed_words(tiny_whisper: Path, spoken: dict) -> None:
    engine = FasterWhisperEngine(tiny_whisper, batch_size=4, cpu_threads=1)
    ok, why = engine.available()
    assert ok, why
    tr = engine.transcribe(spoken["wav"])
    assert tr.engine == "faster_whisper"
    assert tr.duration_s == pytest.approx(spoken["duration"], abs=0.01)
    assert tr.language and tr.language.isalpha()
    assert tr.segments, "the pipeline produced no segments"
    assert [s.id for s in tr.segments] == list(range(len(tr.segments)))
    previous = 0.0
    words = 0
    for seg in tr.segments:
        assert 0.0 <= seg.start <= seg.end <= spoken["duration"] + 1e-6
        assert seg.start >= previous - 1e-6
        previous = seg.start
        for w in seg.words:
            assert seg.start - 1e-6 <= w.start <= w.end <= seg.end + 1e-6
            assert w.text and w.confidence is not None and 0.0 <= w.confidence <= 1.0
        assert [w.start for w in seg.words] == sorted(w.start for w in seg.words)
        words += len(seg.words)
    assert words > 0
    engine.transcribe(spoken["wav"])
    assert engine.loads == 1


def test_auto_prefers_a_usable_whisper_over_pocketsphinx(tiny_whisper: Path, tmp_path: Path) -> None:
    from reelquant.speech.engines import PocketsphinxEngine, SidecarEngine, select_engine
    from reelquant.speech.whisper import WhisperXEngine

    video = tmp_path / "lesson.mp4"
    video.write_bytes(b"")
    # Given in the wrong order on purpose: auto ranks engines itself.
    engines = [PocketsphinxEngine(), FasterWhisperEngine(tiny_whisper), WhisperXEngine("tiny"), SidecarEngine()]
    chosen, reason = select_engine("auto", video, engines)
    if WhisperXEngine("tiny").available()[0]:
        assert chosen.name == "whisperx"
    else:
        assert chosen.name == "faster_whisper"
        assert "whisperx (" in reason and reason.index("sidecar") < reason.index("whisperx")
    engines[1] = FasterWhisperEngine()
    chosen, reason = select_engine("auto", video, engines)
    assert chosen.name in {"pocketsphinx", "whisperx"}
    assert "faster_whisper (no faster_whisper model is configured" in reason or chosen.name == "whisperx"
    (tmp_path / "lesson.srt").write_text("1\n00:00:00,000 --> 00:00:01,000\nhello\n", encoding="utf-8")
    assert select_engine("auto", video, engines)[0].name == "sidecar"
