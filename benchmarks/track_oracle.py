"""The mask tracker alone, fed the ground-truth mask as its only detection (an oracle), on a refvos
layout: how well optical-flow propagation keeps masks between keyframes, and how fast.

    .venv/bin/python -m benchmarks.track_oracle ../shared/data/dev/refvos [--ks 4,8,12,24,0]
        [--noise PX] [--miss P] [--repeats N] [--per-video]

``--noise`` dilates/erodes each keyframe mask by up to PX pixels and jitters its box by up to 8 %
(a CPU masker's error); ``--miss`` drops a keyframe detection with probability P. K=0 detects only on
the first frame and when the target is lost. Detection time is counted as 150 ms per keyframe (the
CenterNet detector's cost under load) to give the frame rate a whole pipeline would reach.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from sa2va_assist.eval.metrics import jf_for_sequence
from sa2va_assist.vision.lite.finder import Found, box_of
from sa2va_assist.vision.lite.tracking import MaskTracker, TrackerOptions

DETECT_MS = 150.0  # assumed cost of one detector call


def load(root: Path) -> dict[str, tuple[list[np.ndarray], np.ndarray]]:
    videos = {}
    for entry in json.loads((root / "expressions.json").read_text()):
        name = entry["video"]
        files = sorted((root / "JPEGImages" / name).glob("*.jpg"))
        frames = [cv2.cvtColor(cv2.imread(str(f)), cv2.COLOR_BGR2RGB) for f in files]
        truth = np.stack(
            [cv2.imread(str(root / "Annotations" / name / f"{f.stem}.png"), 0) > 127 for f in files]
        )
        videos[name] = (frames, truth)
    return videos


def oracle(truth: np.ndarray, noise: int, miss: float, seed: int):  # type: ignore[no-untyped-def]
    def detect(t: int, frame: np.ndarray) -> list[Found]:
        mask = truth[t]
        rng = np.random.default_rng(seed * 100003 + t)
        if not mask.any() or (miss and rng.random() < miss):
            return []
        if not noise:
            return [Found("object", mask, 1.0, box_of(mask))]
        h, w = mask.shape
        r = int(rng.integers(-noise, noise + 1))
        if r:
            kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * abs(r) + 1,) * 2)
            mask = (cv2.dilate if r > 0 else cv2.erode)(mask.astype(np.uint8), kernel).astype(bool)
        x0, y0, x1, y1 = box_of(mask)
        bw, bh = x1 - x0, y1 - y0
        jitter = rng.uniform(-0.08, 0.08, 4) * np.array([bw, bh, bw, bh])
        box = np.clip(np.round(np.array([x0, y0, x1, y1]) + jitter), 0, [w, h, w, h]).astype(int)
        clip = np.zeros_like(mask)
        clip[box[1] : box[3], box[0] : box[2]] = True
        mask = mask & clip
        return (
            [Found("object", mask, 0.9, (int(box[0]), int(box[1]), int(box[2]), int(box[3])))]
            if mask.any()
            else []
        )

    return detect


def run(
    videos: dict[str, Any], options: TrackerOptions, noise: int, miss: float, repeats: int
) -> dict[str, Any]:
    rows = {}
    tracker = MaskTracker(options)
    for i, (name, (frames, truth)) in enumerate(videos.items()):
        ms = []
        for _ in range(repeats):
            result = tracker.track(frames, oracle(truth, noise, miss, i), lambda c: [0] if c else [])
            ms.append(result.tracking_ms_per_frame())
        pred = result.tracks[0].masks if result.tracks else np.zeros_like(truth)
        jf = jf_for_sequence(pred, truth)
        rows[name] = {**jf, "ms": float(np.median(ms)), "n": len(frames), "keys": len(result.keyframes)}
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--ks", default="4,8,12,24,0")
    parser.add_argument("--noise", type=int, default=0)
    parser.add_argument("--miss", type=float, default=0.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--per-video", action="store_true")
    args = parser.parse_args()
    videos = load(args.root)
    print("| K | J&F | J | F | tracking ms/frame | keyframes | fps with 150 ms detections |")
    print("|---|---|---|---|---|---|---|")
    for k in (int(x) for x in args.ks.split(",")):
        rows = run(videos, TrackerOptions(keyframe_every=k), args.noise, args.miss, args.repeats)
        n = sum(r["n"] for r in rows.values())
        ms = sum(r["ms"] * r["n"] for r in rows.values()) / n
        keys = sum(r["keys"] for r in rows.values())
        mean = {m: 100 * float(np.mean([r[m] for r in rows.values()])) for m in ("JF", "J", "F")}
        fps_all = 1000 / (ms + DETECT_MS * keys / n)
        print(
            f"| {k or 'first + lost'} | {mean['JF']:.1f} | {mean['J']:.1f} | {mean['F']:.1f} "
            f"| {ms:.1f} | {keys} | {fps_all:.1f} |"
        )
        if args.per_video:
            print("  " + ", ".join(f"{v} {100 * r['JF']:.1f}" for v, r in rows.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
