"""The box masker alone: each ground-truth mask's own bounding box in, a mask out, IoU against the truth.

    .venv/bin/python -m benchmarks.masks_oracle ../shared/data/dev

Uses refseg (manifest.jsonl: image, expression, mask) and the first frame of every refvos video, so the
figure isolates mask quality from detection. Prints mean IoU per source and the median ms per object.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from sa2va_assist.config import Config
from sa2va_assist.eval.metrics import jaccard
from sa2va_assist.io.sources import read_image
from sa2va_assist.referring import parse as parse_reference
from sa2va_assist.vision.lite.finder import box_of
from sa2va_assist.vision.lite.masks import load_box_masker


def _items(root: Path) -> list[tuple[str, Path, Path, str]]:
    items = []
    for line in (root / "refseg" / "manifest.jsonl").read_text().splitlines():
        r = json.loads(line)
        label = (parse_reference(r["expression"]).classes or ("object",))[0]
        items.append(("refseg", root / "refseg" / r["image"], root / "refseg" / r["mask"], label))
    for e in json.loads((root / "refvos" / "expressions.json").read_text()):
        label = (parse_reference(e["expression"]).classes or ("object",))[0]
        frames = sorted((root / "refvos" / "JPEGImages" / e["video"]).glob("*.jpg"))
        mask = root / "refvos" / "Annotations" / e["video"] / f"{frames[0].stem}.png"
        items.append(("refvos first frames", frames[0], mask, label))
    return items


def main() -> int:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/dev")
    masker = load_box_masker(Config().lite)
    ious: dict[str, list[float]] = {}
    ms: list[float] = []
    for source, image_path, mask_path, label in _items(root):
        image = read_image(image_path, 10**6)
        truth = cv2.imread(str(mask_path), cv2.IMREAD_GRAYSCALE) > 127
        start = time.perf_counter()
        mask = masker.mask(image, box_of(truth), label)
        ms.append((time.perf_counter() - start) * 1000)
        ious.setdefault(source, []).append(jaccard(mask, truth))
    for source, values in ious.items():
        print(f"{source}: mean IoU {float(np.mean(values)):.3f} over {len(values)} objects")
    print(f"median {statistics.median(ms):.1f} ms per object")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
