import json
from pathlib import Path

import pytest

from reelquant.media.probe import probe_video
from reelquant.strategy.spec import StrategySpec

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
NAMES = sorted(p.stem for p in SAMPLES.glob("*.txt"))


def test_there_are_testable_and_untestable_samples() -> None:
    labels = [json.loads((SAMPLES / f"{n}.spec.json").read_text()) for n in NAMES]
    assert sum(1 for x in labels if x["testable"]) >= 2
    assert any(not x["testable"] for x in labels)


@pytest.mark.parametrize("name", NAMES)
def test_sample_is_complete_and_small(name: str) -> None:
    spec = StrategySpec.from_dict(json.loads((SAMPLES / f"{name}.spec.json").read_text()))
    if spec.testable:
        assert spec.entry.conditions
    else:
        assert spec.unsupported
    probe = probe_video(SAMPLES / f"{name}.mp4")
    assert probe.duration_s < 90.0
    assert probe.size_bytes < 1_500_000
    words = len((SAMPLES / f"{name}.txt").read_text().split())
    # Festival speaks about 2.5 words a second; the video must carry the whole script.
    assert probe.duration_s > words / 4.0
