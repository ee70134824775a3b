"""Measure the detector: ``python -m sa2va_assist.setup.detector.bench [--data DIR]``.

Prints (1) detect() latency on a 640 x 480 image (median of 10 after 3 warm-up runs), (2) conversion
time from the cached TF.js files, (3) on ``DIR/describe/manifest.jsonl`` items with ``objects`` (the
COCO categories covering >= 1 % of the image): micro precision / recall of the set of detected
categories per image, per threshold, and (4) on ``DIR/refseg`` ("the <category>" optionally "on the
left/right", mask 0/255): how often the chosen box of that category has IoU >= 0.5 with the mask's
bounding box. Chosen box: among the category's boxes scoring >= ``--pick`` (else its best box), the
leftmost / rightmost centre for "left" / "right", else the best score.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from ...vision.lite.detector.cache import onnx_path
from ...vision.lite.detector.detector import Detection, Detector, iou, load_detector
from .prepare import convert_model

DATA = Path("/work/shared/data/dev")


def _rgb(path: Path) -> np.ndarray:
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise SystemExit(f"cannot read {path}")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def latency(detector: Detector, image: np.ndarray, runs: int = 10) -> float:
    frame = cv2.resize(image, (640, 480))
    for _ in range(3):
        detector.detect(frame)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        detector.detect(frame)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def describe_scores(
    detector: Detector, data: Path, thresholds: list[float]
) -> dict[float, tuple[float, float]]:
    rows = [json.loads(line) for line in (data / "describe/manifest.jsonl").read_text().splitlines() if line]
    rows = [r for r in rows if "objects" in r]
    raw = [detector.detect(_rgb(data / "describe" / r["image"]), threshold=min(thresholds)) for r in rows]
    out = {}
    for t in thresholds:
        tp = fp = fn = 0
        for r, found in zip(rows, raw, strict=True):
            got, want = {d.label for d in found if d.score >= t}, set(r["objects"])
            tp, fp, fn = tp + len(got & want), fp + len(got - want), fn + len(want - got)
        out[t] = (tp / max(tp + fp, 1), tp / max(tp + fn, 1))
    return out


def choose(found: list[Detection], label: str, side: str | None, pick: float) -> Detection | None:
    mine = [d for d in found if d.label == label]
    if not mine:
        return None
    strong = [d for d in mine if d.score >= pick] or [max(mine, key=lambda d: d.score)]
    if side == "left":
        return min(strong, key=lambda d: d.box[0] + d.box[2])
    if side == "right":
        return max(strong, key=lambda d: d.box[0] + d.box[2])
    return max(strong, key=lambda d: d.score)


def refseg_scores(detector: Detector, data: Path, pick: float) -> tuple[float, float, int]:
    """(hit rate of the chosen box, hit rate of any box of the category, number of items)."""
    rows = [json.loads(line) for line in (data / "refseg/manifest.jsonl").read_text().splitlines() if line]
    hits = anyhits = 0
    cache: dict[str, list[Detection]] = {}
    for r in rows:
        m = re.fullmatch(r"the (.+?)(?: on the (left|right))?", r["expression"])
        if not m:
            continue
        if r["image"] not in cache:
            cache[r["image"]] = detector.detect(_rgb(data / "refseg" / r["image"]), threshold=0.05)
        found = cache[r["image"]]
        mask = cv2.imread(str(data / "refseg" / r["mask"]), cv2.IMREAD_GRAYSCALE) > 127
        ys, xs = np.nonzero(mask)
        target = np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], np.float32)
        chosen = choose(found, m.group(1), m.group(2), pick)
        hits += chosen is not None and iou(target, np.array([chosen.box], np.float32))[0] >= 0.5
        boxes = np.array([d.box for d in found if d.label == m.group(1)], np.float32).reshape(-1, 4)
        anyhits += bool(len(boxes)) and bool((iou(target, boxes) >= 0.5).any())
    return hits / len(rows), anyhits / len(rows), len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--resize", default="stretch", choices=["stretch", "letterbox"])
    parser.add_argument("--nms", default="class", choices=["class", "agnostic", "none"])
    parser.add_argument("--pick", type=float, default=0.3)
    args = parser.parse_args()
    detector = load_detector(threads=args.threads, resize=args.resize, nms=args.nms)
    image = _rgb(Path(__file__).resolve().parents[4] / "examples/astronaut.jpg")
    print(f"detect() at 640x480, {args.threads} threads: median {latency(detector, image) * 1000:.0f} ms")
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        convert_model(onnx_path().parent / "centernet.json", Path(tmp) / "c.onnx")
        print(f"conversion (TF.js files -> ONNX): {time.perf_counter() - start:.2f} s")
    thresholds = [0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5]
    for t, (p, r) in describe_scores(detector, args.data, thresholds).items():
        print(f"describe categories @ {t:.2f}: precision {p:.2f} recall {r:.2f}")
    hit, anyhit, n = refseg_scores(detector, args.data, args.pick)
    print(f"refseg ({n} items): chosen box IoU>=0.5 {hit:.2f}; some box of the class IoU>=0.5 {anyhit:.2f}")


if __name__ == "__main__":
    main()
