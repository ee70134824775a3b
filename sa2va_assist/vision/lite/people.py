"""People with pixel masks from the models MediaPipe 0.10.21 ships inside its wheel.

Selfie segmentation on a whole frame is a salient-foreground model (it also segments cups and cats), so
it never decides on its own that something is a person. Person evidence comes first:

1. BlazePose's person detector (``pose_detection.tflite``, run through MediaPipe's own
   ``PoseDetectionCpu`` graph so every person comes back, not only the one ``mp.solutions.pose``
   tracks; its keypoints give a full-body box) and the full-range face detector (a body box is
   extrapolated below each face the pose detector missed; on the dev photos it found no one extra).
2. Each person's body box is cropped and segmented with the selfie model, which inside a person box
   gives a tight mask; pixels two crops share go to the crop more confident about them.
3. A mask keeps its connected components under the person's key points (face, shoulders, hips), so a
   bag that shares the crop is dropped; instances under ``min_person_area`` of the frame go.

Measured on the 10 COCO "the person" items of the dev split: mean IoU 0.39 overall, 0.75 on the 5 whose
face the detector sees; person present/absent on 30 COCO photos: 8 of 11 with people found, 1 false
alarm (a dog's face) in 19 without. With the face hidden (helmet, back turned) a person has no evidence
here and is missed: the 80-class detector that comes next covers that. Nothing about a face is kept
beyond a box, and nothing about the person is judged (no gender, age or other traits).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from ...config import LiteConfig
from .finder import Found, box_of, by_prominence

POSE_MIN_SCORE = 0.5  # pose-detector score (0..1) that counts as a person; its own floor is 0.2
FACE_MIN_SCORE = 0.5  # full-range face detector score (0..1), MediaPipe's default
# BlazePose's full-body ROI: a square centred on the mid-hip keypoint whose half side is the distance
# to the size keypoint, enlarged 1.25x (MediaPipe's PoseDetectionToRoi does the same). That square is
# as wide as it is tall; a person is not, and the selfie model misses a small person in a wide crop, so
# the crop keeps 0.6 of the width (measured on COCO people: mean IoU 0.75 vs 0.72 for the full square).
POSE_ROI_SCALE = 1.25
BODY_WIDTH_SHARE = 0.6
# Body extrapolated from a face box of width fw / height fh (an upright adult is ~7.5 heads tall, two
# faces wide with arms down): x from centre -2 fw to +2 fw, y from top -0.6 fh to top +7.5 fh.
FACE_BODY_HALF_WIDTH, FACE_BODY_ABOVE, FACE_BODY_BELOW = 2.0, 0.6, 7.5
CROP_PAD = 0.1  # crop margin around a body box, share of its size, so limbs at its edge stay in
MIN_CROP_PX = 8  # smaller crops are not segmented (nothing to see)

_POSE_GRAPH = """
input_stream: "image"
output_stream: "detections"
node { calculator: "PoseDetectionCpu" input_stream: "IMAGE:image" output_stream: "DETECTIONS:detections" }
"""

Segmenter = Callable[[np.ndarray], np.ndarray]  # (h, w, 3) uint8 RGB -> (h, w) float32 0..1
Detector = Callable[[np.ndarray], list["Evidence"]]


@dataclass(frozen=True)
class Evidence:
    """Why we think a person is there. Boxes are pixels (x0, y0, x1, y1) as floats."""

    face: tuple[float, float, float, float]  # face box (the pose detector's is a coarse head region)
    body: tuple[float, float, float, float]  # where the whole person should be; cropped for masks
    points: tuple[tuple[float, float], ...]  # (x, y) pixels that lie on the person: face, hips, shoulders
    score: float  # detector confidence 0..1


class PersonFinder:
    """Finds people: ``find(rgb)`` -> ``Found`` per person (label "person"), most prominent first.

    ``detectors`` give person evidence, ``segment`` the foreground probability of a crop. Built by
    ``load_person_finder``; tests may pass any callables with these contracts.
    """

    labels = frozenset({"person"})

    def __init__(self, detectors: list[Detector], segment: Segmenter, config: LiteConfig) -> None:
        self.detectors = detectors
        self.segment = segment
        self.threshold = config.person_threshold
        self.min_area = config.min_person_area

    def evidence(self, image: np.ndarray) -> list[Evidence]:
        """Person evidence from every detector, in detector order. A person an earlier detector already
        gave (``_same_face``) is not repeated; one detector's own list is kept whole (its non-maximum
        suppression already ran)."""
        kept: list[Evidence] = []
        for detect in self.detectors:
            earlier = list(kept)
            kept += [ev for ev in detect(image) if not any(_same_face(ev, k) for k in earlier)]
        return kept

    def find(self, image: np.ndarray) -> list[Found]:
        """People in ``image`` ((H, W, 3) uint8 RGB) with (H, W) bool masks, largest first."""
        image = np.ascontiguousarray(image)
        h, w = image.shape[:2]
        people = self.evidence(image)
        if not people:
            return []
        probs = np.zeros((len(people), h, w), np.float32)
        for i, ev in enumerate(people):
            x0, y0, x1, y1 = _pad_clip(ev.body, w, h)
            if x1 - x0 >= MIN_CROP_PX and y1 - y0 >= MIN_CROP_PX:
                probs[i, y0:y1, x0:x1] = self.segment(np.ascontiguousarray(image[y0:y1, x0:x1]))
        owner = probs.argmax(axis=0)
        found = []
        for i, ev in enumerate(people):
            mask = _touching((probs[i] > self.threshold) & (owner == i), ev, w, h)
            if np.count_nonzero(mask) >= self.min_area * h * w:
                found.append(Found("person", mask, ev.score, box_of(mask)))
        return by_prominence(found)


def _same_face(a: Evidence, b: Evidence) -> bool:
    """Either face centre lies in the other's face box. Not box overlap: the pose detector's "face" box
    has a fixed size (a fifth of the image's long side) around the head, its centre up to ~40 px from
    the face detector's on 640 px photos, while a face detector box is tight."""
    (ax, ay), (bx, by) = _centre(a.face), _centre(b.face)
    return _holds(b.face, ax, ay) or _holds(a.face, bx, by)


def _holds(box: tuple[float, ...], x: float, y: float) -> bool:
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def _centre(box: tuple[float, ...]) -> tuple[float, float]:
    return (box[0] + box[2]) / 2, (box[1] + box[3]) / 2


def _pad_clip(box: tuple[float, ...], w: int, h: int, pad: float = CROP_PAD) -> tuple[int, int, int, int]:
    bw, bh = box[2] - box[0], box[3] - box[1]
    x0 = int(np.clip(np.floor(box[0] - pad * bw), 0, w))
    y0 = int(np.clip(np.floor(box[1] - pad * bh), 0, h))
    x1 = int(np.clip(np.ceil(box[2] + pad * bw), 0, w))
    y1 = int(np.clip(np.ceil(box[3] + pad * bh), 0, h))
    return x0, y0, x1, y1


def _touching(mask: np.ndarray, ev: Evidence, w: int, h: int) -> np.ndarray:
    """The connected components of ``mask`` under the evidence's points; failing that, those overlapping
    its face box; failing that, the whole mask (a point can fall in a gap, between the legs)."""
    if not mask.any():
        return mask
    count, labels = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    if count <= 2:
        return mask
    keep = {int(labels[int(np.clip(y, 0, h - 1)), int(np.clip(x, 0, w - 1))]) for x, y in ev.points}
    keep.discard(0)
    if not keep:
        fx0, fy0, fx1, fy1 = _pad_clip(ev.face, w, h, pad=0.0)
        keep = set(np.unique(labels[fy0:fy1, fx0:fx1]).tolist()) - {0}
    return np.isin(labels, sorted(keep)) if keep else mask


def _detections_to_evidence(
    detections: Any, w: int, h: int, min_score: float, from_pose: bool
) -> list[Evidence]:
    """MediaPipe ``Detection`` protos (relative coordinates) -> pixel ``Evidence``."""
    out = []
    for det in detections or []:
        score = float(det.score[0]) if det.score else 0.0
        if score < min_score:
            continue
        rb = det.location_data.relative_bounding_box
        face = (rb.xmin * w, rb.ymin * h, (rb.xmin + rb.width) * w, (rb.ymin + rb.height) * h)
        points = [_centre(face)]
        if from_pose:  # keypoints: 0 mid-hip centre, 1 full-body size/rotation, 2 mid-shoulder centre
            kp = det.location_data.relative_keypoints
            cx, cy = kp[0].x * w, kp[0].y * h
            points += [(cx, cy), (kp[2].x * w, kp[2].y * h)]
            half = POSE_ROI_SCALE * float(np.hypot(kp[1].x * w - cx, kp[1].y * h - cy))
            half_w = BODY_WIDTH_SHARE * half
            body = (cx - half_w, cy - half, cx + half_w, cy + half)
        else:
            fw, fh, cx = face[2] - face[0], face[3] - face[1], (face[0] + face[2]) / 2
            half = FACE_BODY_HALF_WIDTH * fw
            body = (cx - half, face[1] - FACE_BODY_ABOVE * fh, cx + half, face[1] + FACE_BODY_BELOW * fh)
        out.append(Evidence(face, body, tuple(points), score))
    return out


def load_person_finder(config: LiteConfig) -> PersonFinder:
    """Build the MediaPipe graphs once (pose detector, full-range face detector, general selfie
    segmenter). Imports mediapipe here; an ImportError propagates for the caller to explain."""
    solutions = import_solutions()
    from google.protobuf import text_format
    from mediapipe.framework import calculator_pb2
    from mediapipe.python.solution_base import SolutionBase

    with _quiet_stderr():  # TFLite/absl print start-up notes straight to fd 2 on graph start
        graph = text_format.Parse(_POSE_GRAPH, calculator_pb2.CalculatorGraphConfig())
        pose = SolutionBase(graph_config=graph, outputs=["detections"])
        faces = solutions.face_detection.FaceDetection(model_selection=1, min_detection_confidence=0.2)
        selfie = solutions.selfie_segmentation.SelfieSegmentation(model_selection=0)
        pose.process({"image": np.full((64, 64, 3), 128, np.uint8)})
        faces.process(np.full((64, 64, 3), 128, np.uint8))
        selfie.process(np.full((64, 64, 3), 128, np.uint8))

    def pose_evidence(rgb: np.ndarray) -> list[Evidence]:
        h, w = rgb.shape[:2]
        result: Any = pose.process({"image": rgb})
        return _detections_to_evidence(result.detections, w, h, POSE_MIN_SCORE, from_pose=True)

    def face_evidence(rgb: np.ndarray) -> list[Evidence]:
        h, w = rgb.shape[:2]
        result: Any = faces.process(rgb)
        return _detections_to_evidence(result.detections, w, h, FACE_MIN_SCORE, from_pose=False)

    def segment(rgb: np.ndarray) -> np.ndarray:
        result: Any = selfie.process(rgb)
        return np.asarray(result.segmentation_mask, np.float32)

    return PersonFinder([pose_evidence, face_evidence], segment, config)


LEAN_PACKAGES = ("mediapipe", "mediapipe.python.solutions")  # imported without their __init__


def import_solutions() -> Any:
    """MediaPipe's ``solutions`` package holding the graphs used here (``face_detection``,
    ``selfie_segmentation``; ``pose`` registers the calculator options the pose-detector graph is
    parsed with), imported without running the ``__init__`` of ``mediapipe`` and
    ``mediapipe.python.solutions``: those import every solution, the Tasks API and the drawing
    helpers, which import matplotlib's pyplot; 59 MB resident and ~0.5 s against 17 MB and 0.04 s
    (BENCHMARKS.md, peak memory of ``listen``). Where mediapipe is already imported (another part of
    the process uses it) or the lean way fails (another mediapipe layout), the package's own import
    is used."""
    import importlib
    import importlib.util

    needed = ("face_detection", "selfie_segmentation", "pose")  # pose: calculator options
    loaded = sys.modules.get(LEAN_PACKAGES[1])
    if loaded is not None and all(hasattr(loaded, m) for m in needed):
        return loaded  # imported before, the lean way or the package's own
    if "mediapipe" not in sys.modules:
        try:
            for name in LEAN_PACKAGES:  # the package objects, their __init__ not run
                spec = importlib.util.find_spec(name)
                if spec is None or spec.submodule_search_locations is None:
                    raise ImportError(f"{name} is not a package")
                sys.modules[name] = importlib.util.module_from_spec(spec)
            parent, _, child = LEAN_PACKAGES[1].rpartition(".")
            setattr(sys.modules[parent], child, sys.modules[LEAN_PACKAGES[1]])
            for module in needed:
                importlib.import_module(f"{LEAN_PACKAGES[1]}.{module}")
            return sys.modules[LEAN_PACKAGES[1]]
        except ImportError:
            for name in [n for n in sys.modules if n == "mediapipe" or n.startswith("mediapipe.")]:
                del sys.modules[name]  # start again from the package's own import
    import mediapipe as mp

    return mp.solutions


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Silence file descriptor 2 for the block: TFLite and absl write there from C++, past
    ``sys.stderr``. Python exceptions still propagate and are reported by the caller."""
    try:
        saved = os.dup(2)
    except OSError:  # no descriptor 2 at all: nothing to silence
        yield
        return
    sys.stderr.flush()
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
