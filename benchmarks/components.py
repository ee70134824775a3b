"""Component timings: reading a page, finding a person, converting and running Whisper.

    .venv/bin/python -m benchmarks.components

Medians over repeated warm runs (models loaded first); the Whisper conversion is timed once into a
fresh temporary cache. The spoken question is synthesised with espeak-ng (must be installed).
"""

from __future__ import annotations

import dataclasses
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from sa2va_assist.audio.stt import load_stt
from sa2va_assist.audio.wav import read_audio
from sa2va_assist.config import Config
from sa2va_assist.io.sources import read_image
from sa2va_assist.types import Frame, VisionRequest
from sa2va_assist.vision import load_backend

REPO = Path(__file__).resolve().parent.parent


def _median_s(call, runs: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _request_s(backend, frame: Frame, task: str, text: str, runs: int) -> float:  # type: ignore[no-untyped-def]
    """Median seconds of ``runs`` requests, each on a new copy of the frame (as from a camera: the
    backend keeps the last image's detections, so the same array twice would skip the detector)."""
    times = []
    for _ in range(runs):
        request = VisionRequest((dataclasses.replace(frame, image=frame.image.copy()),), task, text)
        start = time.perf_counter()
        backend.run(request)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    lite = load_backend(Config(), "lite")
    page = Frame(read_image(REPO / "examples" / "page.png"), 0, "page")
    person = Frame(read_image(REPO / "examples" / "astronaut.jpg"), 0, "astronaut")
    read = _request_s(lite, page, "read", "read this", 5)
    find = _request_s(lite, person, "segment", "the person", 9)
    print(f"read examples/page.png (PP-OCRv6 small): {read:.3f} s median of 5")
    print(f"segment 'the person' in examples/astronaut.jpg (512x512): {1000 * find:.1f} ms median of 9")
    with tempfile.TemporaryDirectory() as cache:
        start = time.perf_counter()
        stt = load_stt("base", cache_dir=Path(cache))
        print(
            f"Whisper base: convert from the packaged weights and load: {time.perf_counter() - start:.2f} s"
        )
        wav = Path(cache) / "q.wav"
        subprocess.run(["espeak-ng", "-w", str(wav), "where is my red cup on the table"], check=True)
        audio, rate = read_audio(wav)
        spoken = _median_s(lambda: stt.transcribe(audio), 3)
        print(f"Whisper base on a {len(audio) / rate:.1f} s spoken question: {spoken:.2f} s median of 3")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
