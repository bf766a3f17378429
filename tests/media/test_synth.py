from pathlib import Path

import pytest

from reelquant.media.audio import extract_audio, read_wav_info, speech_regions
from reelquant.media.synth import split_sentences, synthesize_speech
from reelquant.speech.subtitles import parse_srt


@pytest.mark.parametrize("voice", ["festival", "espeak"])
def test_synthesize_speech_writes_audible_wav(voice: str, tmp_path: Path) -> None:
    wav = synthesize_speech("Buy when the price closes above the band.", tmp_path / f"{voice}.wav", voice=voice)
    duration = read_wav_info(wav)[2]
    assert 1.0 < duration < 6.0
    regions = speech_regions(wav)
    assert sum(e - s for s, e in regions) > 0.6 * duration


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
