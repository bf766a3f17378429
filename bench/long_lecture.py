"""Peak memory and speed of a long lecture through extract_audio, has_speech and the default speech engine.

The lecture is the project's spoken lessons (samples/*.mp4) concatenated over and over to the requested
length (optionally with silence after each lesson), muxed under a tiny picture as H.264/AAC. It then
goes through what the audio_track and transcript assets run: extract_audio, has_speech, and the engine
as TranscriberResource configures it: faster_whisper with its default Whisper model (base, int8 on the
CPU, trading hotwords) unless `--engine pocketsphinx` (the trading language model) or `--model` says
otherwise. The measurement runs in a fresh child process and reads its peak RSS with
resource.getrusage, after a short warm-up that loads the model, so the growth attributable to the
long input is reported separately. RTF is the transcription's seconds per second of audio; rtf_total
adds decoding the audio and finding its speech.

    .venv/bin/python bench/long_lecture.py --minutes 60           # the acceptance run: Whisper base, ~15 min
    .venv/bin/python bench/long_lecture.py --minutes 3            # a quick look
    .venv/bin/python bench/long_lecture.py --minutes 20 --engine pocketsphinx --speech-share 0.02 \
        --speech-seconds 10 --json
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RATE = 16000
ENGINES = ("faster_whisper", "pocketsphinx")
# The acceptance targets for an hour of speech on two CPU cores.
PEAK_RSS_TARGET_MB = 1536.0
RTF_TARGET = 0.25


def make_lecture(out_mp4: Path, minutes: float, speech_share: float = 1.0, speech_seconds: float | None = None,
                 sources: list[Path] | None = None) -> Path:
    """Concatenate the 16 kHz speech of `sources` (each lesson's first `speech_seconds`, or all), over and
    over to `minutes`, with silence after each lesson so that speech fills `speech_share` of the lecture."""
    from reelquant.media.audio import extract_audio

    work = out_mp4.parent
    lessons = []
    for i, source in enumerate(sources or sorted((ROOT / "samples").glob("*.mp4"))):
        info = extract_audio(source, work / f"lesson{i}.wav")
        with wave.open(info.path, "rb") as w:
            lessons.append(np.frombuffer(w.readframes(w.getnframes()), dtype="<i2"))
    if speech_seconds is not None:
        lessons = [x[: int(speech_seconds * RATE)] for x in lessons]
    speech = np.concatenate(lessons)
    # Enough speech to load the model and decode once, so the measured growth is the lecture's alone.
    with wave.open(str(work / "warmup.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(speech[: 3 * RATE].tobytes())
    total = int(minutes * 60 * RATE)
    long_wav = work / "lecture.wav"
    with wave.open(str(long_wav), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        written = 0
        while written < total:
            for lesson in lessons:
                gap = np.zeros(int(len(lesson) * (1.0 / max(speech_share, 1e-3) - 1.0)), dtype=np.int16)
                for part in (lesson, gap):
                    piece = part[: total - written]
                    w.writeframes(piece.tobytes())
                    written += piece.size
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=black:s=64x36:r=1",
                    "-i", str(long_wav), "-shortest", "-c:v", "libx264", "-preset", "ultrafast",
                    "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k", str(out_mp4)], check=True)
    long_wav.unlink()
    return out_mp4


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def transcriber(engine: str, model: str | None = None) -> tuple[object, str]:
    """The TranscriberResource for `engine` as the pipeline sets it up, and a label such as faster_whisper:base.

    For faster_whisper, `model` (base, tiny.en, a CTranslate2 folder) or else the resource's default.
    """
    from resources import TranscriberResource

    if engine == "pocketsphinx":
        return TranscriberResource(engine="pocketsphinx"), "pocketsphinx:trading"
    if model is None:
        default = TranscriberResource.model_fields["faster_whisper_model"].default
        return TranscriberResource(engine="faster_whisper"), f"faster_whisper:{default}"
    return TranscriberResource(engine="faster_whisper", faster_whisper_model=model), f"faster_whisper:{model}"


def child(video: Path, warmup_wav: Path, work: Path, engine: str, model: str | None) -> dict:
    """Runs in the measured process: warm up the model on a short WAV, then the whole lecture."""
    from reelquant.media.audio import extract_audio, has_speech

    transcriber_resource, label = transcriber(engine, model)
    transcriber_resource.transcribe(warmup_wav, video)
    warm = _rss_mb()
    t0 = time.perf_counter()
    info = extract_audio(video, work / "audio.wav")
    speech, _ = has_speech(info)
    t1 = time.perf_counter()
    after_audio = _rss_mb()
    tr = transcriber_resource.transcribe(Path(info.path), video)
    t2 = time.perf_counter()
    if tr.engine != engine:
        raise SystemExit(f"asked for {engine} but {tr.engine} transcribed the lecture ({tr.reason}).")
    audio_s = max(info.duration_s, 1e-6)
    return {"engine": label, "model": tr.model, "audio_s": info.duration_s, "speech_ratio": info.speech_ratio,
            "regions": len(info.regions), "has_speech": bool(speech), "words": tr.word_count,
            "words_per_min": round(tr.word_count / (audio_s / 60.0), 1), "segments": len(tr.segments),
            "extract_s": round(t1 - t0, 2), "transcribe_s": round(t2 - t1, 2),
            "rtf": round((t2 - t1) / audio_s, 4), "rtf_total": round((t2 - t0) / audio_s, 4),
            "rss_warm_mb": round(warm, 1), "rss_after_audio_mb": round(after_audio, 1),
            "peak_rss_mb": round(_rss_mb(), 1), "growth_mb": round(_rss_mb() - warm, 1)}


def measure(minutes: float, speech_share: float = 1.0, speech_seconds: float | None = None,
            engine: str = "faster_whisper", model: str | None = None, workdir: Path | None = None) -> dict:
    """Build the lecture here, then measure it in a fresh child process."""
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        work = Path(tmp)
        t0 = time.perf_counter()
        video = make_lecture(work / "lecture.mp4", minutes, speech_share, speech_seconds)
        built = time.perf_counter() - t0
        cmd = [sys.executable, __file__, "--engine", engine, "--child", str(video), str(work / "warmup.wav"),
               str(work)]
        out = subprocess.run(cmd + (["--model", model] if model else []), capture_output=True, text=True, cwd=ROOT)
        if out.returncode != 0:
            raise SystemExit(f"the measured process failed ({out.returncode}):\n{out.stderr[-3000:]}")
        result = json.loads(out.stdout.strip().splitlines()[-1])
        result.update(minutes=minutes, speech_share=speech_share, wav_mb=round(result["audio_s"] * RATE * 2 / 2**20, 1),
                      build_s=round(built, 1))
        return result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, default=60.0)
    p.add_argument("--engine", choices=ENGINES, default="faster_whisper")
    p.add_argument("--model", default=None, help="faster_whisper model: base, tiny.en or a CTranslate2 folder "
                                                 "(default: the transcriber's own)")
    p.add_argument("--speech-share", type=float, default=1.0, help="share of the lecture that is speech")
    p.add_argument("--speech-seconds", type=float, default=None, help="use only this much of the lesson's speech")
    p.add_argument("--json", action="store_true")
    p.add_argument("--child", nargs=3, metavar=("VIDEO", "WARMUP_WAV", "WORKDIR"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        video, warm, work = (Path(x) for x in args.child)
        print(json.dumps(child(video, warm, work, args.engine, args.model)))
        return
    r = measure(args.minutes, args.speech_share, args.speech_seconds, args.engine, args.model)
    if args.json:
        print(json.dumps(r))
        return
    for k, v in r.items():
        print(f"{k:>20}: {v}")
    met = r["peak_rss_mb"] <= PEAK_RSS_TARGET_MB and r["rtf"] <= RTF_TARGET
    print(f"long_lecture: minutes={r['minutes']:g} engine={r['engine']} peak_rss={r['peak_rss_mb']:.0f}MB "
          f"rtf={r['rtf']:.3f} (targets peak_rss<={PEAK_RSS_TARGET_MB:.0f}MB rtf<={RTF_TARGET}: "
          f"{'met' if met else 'missed'}; rtf_total={r['rtf_total']:.3f}, growth={r['growth_mb']:.0f}MB, "
          f"words={r['words']})")


if __name__ == "__main__":
    main()
