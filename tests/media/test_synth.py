from pathlib import Path

import pytest

from reelquant.media.audio import extract_audio, read_wav_info
from reelquant.media.synth import VOICES, split_sentences, spoken_text, synthesize_speech
from reelquant.speech.subtitles import parse_srt


@pytest.mark.parametrize("voice", VOICES)
def test_synthesize_speech_writes_audible_wav(voice: str, tmp_path: Path) -> None:
    text = "Buy when the price closes above the band.\nSell when it closes below the lower band."
    wav = synthesize_speech(text, tmp_path / f"{voice}.wav", voice=voice)
    rate, channels, duration = read_wav_info(wav)
    assert channels == 1 and rate >= 16000
    if voice == "piper":
        assert rate == 22050
    # Both lines are spoken (about 16 words at 2 to 4 words a second).
    assert 4.0 < duration < 10.0
    info = extract_audio(wav, tmp_path / f"{voice}16k.wav")
    assert info.duration_s == pytest.approx(duration, abs=0.05)
    assert sum(e - s for s, e in info.regions) > 0.6 * duration


def test_piper_speaks_a_text_the_same_way_every_time(tmp_path: Path) -> None:
    text = "Sell short at the next open. Step four, the stop."
    takes = [synthesize_speech(text, tmp_path / f"take{i}.wav", voice="piper").read_bytes() for i in range(2)]
    assert takes[0] == takes[1]


def test_another_piper_seed_is_another_take(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from reelquant.media import synth

    text = "Sell short at the next open."
    first = synthesize_speech(text, tmp_path / "one.wav", voice="piper").read_bytes()
    keys = (synth.speech_key(text, "piper"), synth.speech_key(text, "festival"))
    monkeypatch.setattr(synth, "PIPER_SEED", synth.PIPER_SEED + 1)
    assert synthesize_speech(text, tmp_path / "two.wav", voice="piper").read_bytes() != first
    assert synth.speech_key(text, "piper") != keys[0] and synth.speech_key(text, "festival") == keys[1]


def test_unknown_voice_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown voice"):
        synthesize_speech("hello", tmp_path / "x.wav", voice="robot")


def test_split_sentences() -> None:
    assert split_sentences("One here.  Two?\nThree! four") == ["One here.", "Two?", "Three!", "four"]


def test_lesson_subtitles_match_the_spoken_audio(lesson: dict, tmp_path: Path) -> None:
    cues = parse_srt(lesson["srt"].read_text())
    assert len(cues) == 3
    assert cues[1].text.startswith("When the fast average crosses above")
    info = extract_audio(lesson["video"], tmp_path / "lesson.wav")
    starts = [s for s, _ in info.regions]
    for cue in cues:
        # Every cue begins where speech begins in the encoded audio (AAC delay and padding aside).
        assert min(abs(cue.start - s) for s in starts) < 0.35, (cue, info.regions)
    assert cues[-1].end <= info.duration_s


def test_empty_script_is_refused(tmp_path: Path) -> None:
    from reelquant.media.synth import make_lesson_video

    with pytest.raises(ValueError, match="script is empty"):
        make_lesson_video("   ", tmp_path / "x.mp4", "nothing")


def test_voices_spell_the_acronyms_a_teacher_spells() -> None:
    from reelquant.speech.hotwords import letters_only_acronyms

    said = spoken_text("Buy when the plus DI crosses the minus DI and the 9 EMA is above the 21 EMA; two EMAs, "
                       "a stop at 2 ATR. DIAMOND patterns and SMART money stay words.")
    assert said == ("Buy when the plus D-I crosses the minus D-I and the 9 E-M-A is above the 21 E-M-A; two "
                    "E-M-A's, a stop at 2 A-T-R. DIAMOND patterns and SMART money stay words.")
    # Every acronym said only letter by letter is spelled; those also said as a word ("mac D") are left to the
    # voice, and nothing else is touched.
    for acronym in letters_only_acronyms():
        assert spoken_text(f"the {acronym} line") == f"the {'-'.join(acronym)} line"
    assert {"ATR", "DI", "EMA", "RSI"} <= set(letters_only_acronyms())
    assert spoken_text("the MACD and the VWAP") == "the MACD and the VWAP"
    assert spoken_text("the average true range") == "the average true range"
