"""Speech detectors side by side on labelled audio: Silero VAD (faster-whisper's) against the level detector.

Each voice (Festival, eSpeak NG, Piper) speaks sentences of the bundled sample lessons one by one;
they are laid end to end with 0.6-3 s of silence between them, so where speech is is known: a
sentence's span runs from its first to its last frame within 35 dB of its loudest. Every such
track is scored as it is and under each background of reelquant.media.background at 10 dB SNR
(music-like chords, pink noise; made by sox), and those backgrounds alone and digital silence are
scored too (they must come out "no speech").
Printed per track: frame-level precision, recall and F1 of speech for both detectors (on the
speechless tracks, the seconds each took for speech) and each one's has_speech verdict; last, one
summary line: pooled scores, F1 per background, the share of speechless audio taken for speech,
right verdicts, and each detector's time per audio minute.

    .venv/bin/python bench/vad.py                  # all three voices, 8 sentences each
    .venv/bin/python bench/vad.py --voices festival espeak --sentences 4 --json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reelquant.media.audio import (  # noqa: E402
    AudioInfo,
    energy_regions,
    extract_audio,
    has_speech,
    sound_ratio,
    speech_regions,
)
from reelquant.media.background import BACKGROUNDS, make_background, mix_background  # noqa: E402
from reelquant.media.synth import VOICES, split_sentences, synthesize_speech  # noqa: E402

RATE = 16000
GRID_S = 0.01  # scoring resolution
SNR_DB = 10.0
DETECTORS: dict[str, Callable[[Path], list[tuple[float, float]]]] = {
    "silero": speech_regions,
    "energy": energy_regions,
}


def _read(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768.0


def _write(pcm: np.ndarray, path: Path) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes((np.clip(pcm, -1.0, 1.0) * 32767).astype("<i2").tobytes())
    return path


def speak(text: str, voice: str, work: Path, name: str) -> np.ndarray:
    """`text` in `voice` as 16 kHz float samples."""
    raw = synthesize_speech(text, work / f"{name}.raw.wav", voice=voice)
    return _read(Path(extract_audio(raw, work / f"{name}.wav").path))


def speech_span(pcm: np.ndarray) -> tuple[int, int]:
    """(first, last) sample of the 10 ms frames within 35 dB of the loudest one."""
    n = int(GRID_S * RATE)
    frames = pcm[: pcm.size // n * n].reshape(-1, n)
    db = 10.0 * np.log10(np.mean(frames**2, axis=1) + 1e-12)
    loud = np.flatnonzero(db > db.max() - 35.0)
    return int(loud[0]) * n, (int(loud[-1]) + 1) * n


def labelled_track(voice: str, sentences: list[str], work: Path, seed: int) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """The sentences in `voice` with silence between them, and the true speech spans in seconds."""
    rng = np.random.default_rng(seed)
    parts: list[np.ndarray] = []
    truth: list[tuple[float, float]] = []
    t = 0
    for i, text in enumerate(sentences):
        gap = np.zeros(int(rng.uniform(0.6, 3.0) * RATE), dtype=np.float32)
        pcm = speak(text, voice, work, f"{voice}{i}")
        a, z = speech_span(pcm)
        pcm = pcm[a:z]
        parts += [gap, pcm]
        t += gap.size
        truth.append((t / RATE, (t + pcm.size) / RATE))
        t += pcm.size
    parts.append(np.zeros(int(1.5 * RATE), dtype=np.float32))
    return np.concatenate(parts), truth


def frames(regions: list[tuple[float, float]], duration_s: float) -> np.ndarray:
    """Regions on the 10 ms scoring grid."""
    out = np.zeros(int(round(duration_s / GRID_S)), dtype=bool)
    for a, z in regions:
        out[int(round(a / GRID_S)):int(round(z / GRID_S))] = True
    return out


def score(found: list[tuple[float, float]], truth: list[tuple[float, float]], duration_s: float) -> dict:
    f, t = frames(found, duration_s), frames(truth, duration_s)
    tp, fp, fn = int(np.sum(f & t)), int(np.sum(f & ~t)), int(np.sum(~f & t))
    return {"tp": tp, "fp": fp, "fn": fn, "speech_frames": int(t.sum()), "frames": int(t.size)}


def prf(c: dict) -> tuple[float, float, float]:
    p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else (1.0 if not c["speech_frames"] else 0.0)
    r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def tracks(voices: list[str], n_sentences: int, work: Path) -> list[dict]:
    """Every labelled track: name, WAV, truth, whether it holds speech."""
    script = " ".join(p.read_text() for p in sorted((ROOT / "samples").glob("*.txt")))
    sentences = [s for s in split_sentences(script) if len(s.split()) >= 4][: n_sentences]
    out: list[dict] = []
    for v, voice in enumerate(voices):
        pcm, truth = labelled_track(voice, sentences, work, seed=v)
        spoken = _write(pcm, work / f"{voice}.wav")
        for kind in BACKGROUNDS:
            name = f"{voice}+{kind}"
            mixed = mix_background(spoken, work / f"{name}.wav", kind, SNR_DB).path
            out.append({"name": name, "wav": mixed, "truth": truth, "speech": True})
    for kind in BACKGROUNDS[1:]:
        wav = make_background(kind, 60 * RATE, RATE, work / f"{kind}_only.wav")
        out.append({"name": f"{kind} only", "wav": wav, "truth": [], "speech": False})
    silence = _write(np.zeros(30 * RATE, dtype=np.float32), work / "silence.wav")
    out.append({"name": "silence", "wav": silence, "truth": [], "speech": False})
    return out


def run(voices: list[str], n_sentences: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        labelled = tracks(voices, n_sentences, work)
        rows: list[dict] = []
        seconds = {d: 0.0 for d in DETECTORS}
        audio_s = 0.0
        for track in labelled:
            duration = len(_read(track["wav"])) / RATE
            audio_s += duration
            row: dict = {"track": track["name"], "seconds": round(duration, 1), "speech": track["speech"]}
            loud = sound_ratio(track["wav"])
            for name, detect in DETECTORS.items():
                detect(track["wav"])  # warm: the first call loads the model
                t0 = time.perf_counter()
                found = detect(track["wav"])
                seconds[name] += time.perf_counter() - t0
                counts = score(found, track["truth"], duration)
                speech = sum(z - a for a, z in found)
                info = AudioInfo(path=str(track["wav"]), duration_s=duration, sample_rate=RATE,
                                 speech_ratio=speech / duration, regions=found, sound_ratio=loud)
                ok, why = has_speech(info)
                p, r, f1 = prf(counts)
                row[name] = {"counts": counts, "precision": round(p, 3), "recall": round(r, 3), "f1": round(f1, 3),
                             "regions": len(found), "speech_s": round(speech, 2), "has_speech": ok, "why": why}
            rows.append(row)
        return {"rows": rows, "summary": summarize(rows, seconds, audio_s), "audio_min": round(audio_s / 60.0, 2)}


def summarize(rows: list[dict], seconds: dict[str, float], audio_s: float) -> dict:
    """Per detector: precision, recall and F1 pooled over the spoken tracks (also per background), the
    share of the speechless tracks taken for speech, right has_speech verdicts, and seconds per audio minute."""
    spoken = [row for row in rows if row["speech"]]
    quiet = [row for row in rows if not row["speech"]]
    out: dict = {}
    for name in DETECTORS:
        def pooled(subset: list[dict], name: str = name) -> dict:
            counts = {k: sum(row[name]["counts"][k] for row in subset) for k in ("tp", "fp", "fn", "speech_frames")}
            return dict(zip(("precision", "recall", "f1"), (round(x, 3) for x in prf(counts)), strict=True))

        backgrounds = sorted({row["track"].split("+")[1] for row in spoken})
        out[name] = {
            **pooled(spoken),
            "f1_by_background": {bg: pooled([r for r in spoken if r["track"].endswith("+" + bg)])["f1"]
                                 for bg in backgrounds},
            "false_speech_share": round(sum(row[name]["speech_s"] for row in quiet)
                                        / max(sum(row["seconds"] for row in quiet), 1e-9), 3),
            "verdicts_right": sum(row[name]["has_speech"] == row["speech"] for row in rows),
            "verdicts": len(rows),
            "s_per_audio_min": round(seconds[name] / (audio_s / 60.0), 4),
        }
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--voices", nargs="+", choices=VOICES, default=list(VOICES))
    p.add_argument("--sentences", type=int, default=8, help="sentences per voice")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    r = run(args.voices, args.sentences)
    if args.json:
        print(json.dumps(r))
        return
    names = list(DETECTORS)
    print(f"{'track':<16}{'s':>6}  " + "  ".join(f"{n + ' P/R/F1':>20} {'verdict':>8}" for n in names))
    for row in r["rows"]:
        cells = []
        for n in names:
            c = row[n]
            score_cell = (f"{c['precision']:>6.3f}/{c['recall']:.3f}/{c['f1']:.3f}" if row["speech"]
                          else f"{c['speech_s']:>12.1f} s speech")
            cells.append(f"{score_cell:>20} {'speech' if c['has_speech'] else 'none':>8}")
        print(f"{row['track']:<16}{row['seconds']:>6.1f}  " + "  ".join(cells))
    for row in r["rows"]:
        for n in names:
            if row[n]["has_speech"] != row["speech"]:
                print(f"  wrong verdict, {n} on {row['track']}: {row[n]['why']}")
    s = r["summary"]
    print("vad: " + "; ".join(
        f"{n} P={s[n]['precision']:.3f} R={s[n]['recall']:.3f} F1={s[n]['f1']:.3f} "
        f"({', '.join(f'{bg} {f:.3f}' for bg, f in s[n]['f1_by_background'].items())}) "
        f"false speech {s[n]['false_speech_share']:.0%} of speechless audio, "
        f"verdicts {s[n]['verdicts_right']}/{s[n]['verdicts']}, {s[n]['s_per_audio_min']:.3f} s/audio-min"
        for n in names) + f" ({r['audio_min']:.1f} audio min)")


if __name__ == "__main__":
    main()
