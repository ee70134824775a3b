"""Referring video segmentation on frames sampled far apart, as `ask` sees a long video brought down to
``input.max_frames`` (or the agent a camera window): the lite backend on every ``step``-th frame of each
refvos video, scored with mean J (region IoU) on those frames.

    .venv/bin/python -m benchmarks.sparse_video ../shared/data/dev/refvos [--steps 1,2,4,8]
        [--keyframe-every K] [--look VIDEO]

Frames keep their source numbers, so the backend sees the gaps. Prints one line per step and video and
a JSON summary. ``--look VIDEO`` instead times what the agent does on a camera: 8 frames of VIDEO
(every 8th, 640x360) with the video's first expression, numbered as consecutive and as 8 apart, median
of 5 runs each.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import cv2
import numpy as np

from sa2va_assist.config import load_config
from sa2va_assist.eval.metrics import jaccard
from sa2va_assist.types import Frame, VisionRequest
from sa2va_assist.vision import load_backend


def mean_j(backend, root: Path, video: str, expression: str, step: int) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    """Mean J over every ``step``-th frame of ``video`` and the number of frames used."""
    files = sorted((root / "JPEGImages" / video).glob("*.jpg"))[::step]
    frames = tuple(
        Frame(cv2.cvtColor(cv2.imread(str(f)), cv2.COLOR_BGR2RGB), int(f.stem), f.stem) for f in files
    )
    result = backend.run(VisionRequest(frames, "segment", expression))
    shape = (len(frames), *frames[0].image.shape[:2])
    pred = (
        np.logical_or.reduce([o.masks for o in result.objects]) if result.objects else np.zeros(shape, bool)
    )
    truths = [
        cv2.imread(str(root / "Annotations" / video / f"{f.stem}.png"), cv2.IMREAD_GRAYSCALE) > 127
        for f in files
    ]
    return float(np.mean([jaccard(p, t) for p, t in zip(pred, truths, strict=True)])), len(files)


def time_look(backend, root: Path, video: str, expression: str) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Median seconds of one 8-frame request, frames numbered 1 apart and 8 apart."""
    files = sorted((root / "JPEGImages" / video).glob("*.jpg"))[:64:8]
    images = [cv2.resize(cv2.cvtColor(cv2.imread(str(f)), cv2.COLOR_BGR2RGB), (640, 360)) for f in files]
    out = {}
    for gap in (1, 8):
        times = []
        for _ in range(5):
            frames = tuple(Frame(i.copy(), k * gap, f"{k:05d}") for k, i in enumerate(images))
            start = time.perf_counter()
            backend.run(VisionRequest(frames, "segment", expression))
            times.append(time.perf_counter() - start)
        out[f"gap_{gap}_s"] = round(float(np.median(times)), 3)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "root", type=Path, help="a refvos folder (JPEGImages/, Annotations/, expressions.json)"
    )
    parser.add_argument("--steps", default="1,2,4,8", help="keep every step-th frame, comma-separated")
    parser.add_argument(
        "--keyframe-every", type=int, default=None, help="lite.keyframe_every (default: config)"
    )
    parser.add_argument("--look", metavar="VIDEO", help="time an agent-style 8-frame look on VIDEO instead")
    args = parser.parse_args()
    config = load_config()
    if args.keyframe_every is not None:
        config = dataclasses.replace(
            config, lite=dataclasses.replace(config.lite, keyframe_every=args.keyframe_every)
        )
    backend = load_backend(config, "lite")
    expressions = json.loads((args.root / "expressions.json").read_text())
    if args.look:
        expression = next(e["expression"] for e in expressions if e["video"] == args.look)
        print(json.dumps(time_look(backend, args.root, args.look, expression), indent=2))
        return 0
    summary = {}
    for step in (int(s) for s in args.steps.split(",")):
        scores, start = [], time.perf_counter()
        for item in expressions:
            j, n = mean_j(backend, args.root, item["video"], item["expression"], step)
            scores.append(j)
            print(f"step {step}: {item['video']:16s} {n:3d} frames  J {100 * j:5.1f}", flush=True)
        summary[f"step_{step}"] = {
            "mean_J": round(100 * float(np.mean(scores)), 1),
            "seconds": round(time.perf_counter() - start, 1),
        }
        print(f"step {step}: mean J {summary[f'step_{step}']['mean_J']}", flush=True)
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
