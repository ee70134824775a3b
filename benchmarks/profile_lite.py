"""Where the lite backend's time goes: one `ask` on a 640x480 image and one tracked video.

    .venv/bin/python -m benchmarks.profile_lite [VIDEO_FRAME_FOLDER] [--expression "the man running"]

Prints per-stage milliseconds: the backend's own timings for the ask (median of 20 warm runs), and
for the video the tracker's stages (prepare, flow, propagate, detect, select, match) over every frame.
Without a folder, a synthetic 854x480 clip of examples/astronaut.jpg panning is used.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time
from pathlib import Path

import numpy as np

from benchmarks.ask_latency import frame_640x480
from sa2va_assist.config import Config
from sa2va_assist.io.sources import load_frames
from sa2va_assist.referring import parse as parse_reference
from sa2va_assist.types import VisionRequest
from sa2va_assist.vision import load_backend
from sa2va_assist.vision.lite.objects import ObjectFinder
from sa2va_assist.vision.lite.resolving import Candidate, resolve
from sa2va_assist.vision.lite.video_grounding import build_tracker


def _pan(n: int = 48) -> list[np.ndarray]:
    photo = frame_640x480().image
    frames = []
    for t in range(n):
        canvas = np.full((480, 854, 3), 90, np.uint8)
        x = 20 + t * 4
        canvas[:, x : x + 640] = photo[:, : min(640, 854 - x)]
        frames.append(canvas)
    return frames


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("video", nargs="?", type=Path)
    parser.add_argument("--expression", default="the person")
    args = parser.parse_args()
    backend = load_backend(Config(), "lite")
    frame = frame_640x480()
    stages: dict[str, list[float]] = {}
    for _ in range(20):  # a new copy each time, as from a camera (the last image's detections are kept)
        fresh = dataclasses.replace(frame, image=frame.image.copy())
        result = backend.run(VisionRequest((fresh,), "segment", "where is the person?"))
        for key, ms in result.timings_ms.items():
            stages.setdefault(key, []).append(ms)
    print("ask 'where is the person?' on 640x480 (median of 20, ms):")
    for key, values in stages.items():
        print(f"  {key}: {statistics.median(values):.1f}")

    frames = [f.image for f in load_frames(args.video, 10**6, 10**6)[1]] if args.video else _pan()
    finder: ObjectFinder = backend.objects  # type: ignore[attr-defined]
    ref = parse_reference(args.expression)
    tracker = build_tracker(Config().lite)
    seen: dict[str, np.ndarray] = {}

    def detect(index: int, image: np.ndarray):  # type: ignore[no-untyped-def]
        seen["image"] = image
        return finder.found(image, ref)

    def select(cands):  # type: ignore[no-untyped-def]
        return resolve(ref, [Candidate.from_found(c) for c in cands], seen["image"]).chosen

    start = time.perf_counter()
    result = tracker.track(frames, detect, select)
    wall = time.perf_counter() - start
    h, w = frames[0].shape[:2]
    print(
        f"\ntracked video: {len(frames)} frames of {w}x{h}, {len(result.keyframes)} keyframes, "
        f"{len(frames) / wall:.1f} fps, {1000 * wall / len(frames):.1f} ms/frame"
    )
    for key, ms in result.timings_ms.items():
        print(f"  {key}: {ms:.0f} ms total, {ms / len(frames):.1f} ms/frame")
    print(f"  (inside detect: detector and masks) {finder.take_timings()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
