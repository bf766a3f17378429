import json
from pathlib import Path

import pytest

from reelquant.media.probe import probe_video
from reelquant.strategy.spec import load_specs

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
NAMES = sorted(p.stem for p in SAMPLES.glob("*.txt"))


def _label(name: str) -> list:
    """A sample's label: one spec or a list, v1 or v2, read as the list of v2 setups it teaches."""
    return load_specs(json.loads((SAMPLES / f"{name}.spec.json").read_text()))


def test_there_are_testable_and_untestable_samples() -> None:
    labels = [_label(n) for n in NAMES]
    assert sum(1 for specs in labels if any(s.testable for s in specs)) >= 2
    assert any(not s.testable for specs in labels for s in specs)


@pytest.mark.parametrize("name", NAMES)
def test_sample_is_complete_and_small(name: str) -> None:
    specs = _label(name)
    assert specs
    for spec in specs:
        if spec.testable:
            assert any(side.entry.conditions for _, side in spec.sides())
        else:
            assert spec.unsupported and len(specs) == 1
    probe = probe_video(SAMPLES / f"{name}.mp4")
    assert probe.duration_s < 90.0
    assert probe.size_bytes < 1_500_000
    words = len((SAMPLES / f"{name}.txt").read_text().split())
    # Festival speaks about 2.5 words a second; the video must carry the whole script.
    assert probe.duration_s > words / 4.0
