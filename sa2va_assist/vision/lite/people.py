"""People with pixel masks from the models MediaPipe 0.10.21 ships inside its wheel.

Selfie segmentation on a whole frame is a salient-foreground model (it also segments cups and cats), so
it never decides on its own that something is a person. Person evidence comes first:

1. BlazePose's person detector (``pose_detection.tflite``, every person whose face/upper body it sees;
   its keypoints give a full-body box) and the full-range face detector (faces up to ~5 m; a body box
   is extrapolated below each face the pose detector missed).
2. Each person's body box is cropped and segmented with the selfie model, which inside a person box
   gives a tight mask; pixels two crops share go to the crop more confident about them.
3. A mask keeps only its connected components that touch the person's evidence (face or body centre),
   so a chair that shares the crop is dropped, and instances under ``min_person_area`` of the frame go.

Seen only from behind, with the face hidden (helmet, back turned), a person has no evidence here and is
missed: the 80-class detector that comes next covers that. Nothing about a face is kept beyond a box.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from ...config import LiteConfig
from .finder import Found, box_of, by_prominence

POSE_MIN_SCORE = 0.5  # pose-detector score (0..1) that counts as a person; its own floor is 0.2
FACE_MIN_SCORE = 0.5  # full-range face detector score (0..1), MediaPipe's default
# BlazePose's full-body ROI: a square centred on the mid-hip keypoint whose half side is the distance
# to the size keypoint, enlarged 1.25x (MediaPipe's PoseDetectionToRoi does the same).
POSE_ROI_SCALE = 1.25
# Body extrapolated from a face box of width fw / height fh (an upright adult is ~7.5 heads tall, two
# faces wide with arms down): x from centre -2 fw to +2 fw, y from top -0.6 fh to top +7.5 fh.
FACE_BODY_HALF_WIDTH, FACE_BODY_ABOVE, FACE_BODY_BELOW = 2.0, 0.6, 7.5
CROP_PAD = 0.1  # crop margin around a body box, share of its size, so limbs at its edge stay in
MIN_CROP_PX = 8  # smaller crops are not segmented (nothing to see)
SAME_FACE_SHARE = 0.5  # a face whose box overlaps a pose detection's face box this much (IoU) is that pose

_POSE_GRAPH = """
input_stream: "image"
output_stream: "detections"
node { calculator: "PoseDetectionCpu" input_stream: "IMAGE:image" output_stream: "DETECTIONS:detections" }
"""

Segmenter = Callable[[np.ndarray], np.ndarray]  # (h, w, 3) uint8 RGB -> (h, w) float32 0..1
Detector = Callable[[np.ndarray], list["Evidence"]]


@dataclass(frozen=True)
class Evidence:
    """Why we think a person is there: a face box and a body box, pixels (x0, y0, x1, y1) floats."""

    face: tuple[float, float, float, float]
    body: tuple[float, float, float, float]
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
        """Person evidence from every detector; a later detector's box that overlaps an earlier one's
        face (IoU >= SAME_FACE_SHARE) is the same person and is dropped."""
        kept: list[Evidence] = []
        for detect in self.detectors:
            for ev in detect(image):
                if all(_iou(ev.face, k.face) < SAME_FACE_SHARE and not _inside(ev.face, k) for k in kept):
                    kept.append(ev)
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


def _iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _inside(face: tuple[float, ...], other: Evidence) -> bool:
    """The centre of ``face`` lies in ``other``'s face box (a detector's face box differs in size)."""
    cx, cy = (face[0] + face[2]) / 2, (face[1] + face[3]) / 2
    f = other.face
    return f[0] <= cx <= f[2] and f[1] <= cy <= f[3]


def _pad_clip(box: tuple[float, ...], w: int, h: int, pad: float = CROP_PAD) -> tuple[int, int, int, int]:
    bw, bh = box[2] - box[0], box[3] - box[1]
    x0 = int(np.clip(np.floor(box[0] - pad * bw), 0, w))
    y0 = int(np.clip(np.floor(box[1] - pad * bh), 0, h))
    x1 = int(np.clip(np.ceil(box[2] + pad * bw), 0, w))
    y1 = int(np.clip(np.ceil(box[3] + pad * bh), 0, h))
    return x0, y0, x1, y1


def _touching(mask: np.ndarray, ev: Evidence, w: int, h: int) -> np.ndarray:
    """The connected components of ``mask`` that overlap the evidence's face box or body centre."""
    if not mask.any():
        return mask
    count, labels = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    if count <= 2:
        return mask
    fx0, fy0, fx1, fy1 = _pad_clip(ev.face, w, h, pad=0.0)
    bx, by = (ev.body[0] + ev.body[2]) / 2, (ev.body[1] + ev.body[3]) / 2
    keep = set(np.unique(labels[fy0:fy1, fx0:fx1]).tolist())
    keep.add(int(labels[int(np.clip(by, 0, h - 1)), int(np.clip(bx, 0, w - 1))]))
    keep.discard(0)
    return np.isin(labels, sorted(keep)) if keep else np.zeros_like(mask)


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
        if from_pose:  # keypoint 0: mid-hip centre; keypoint 1: full-body size and rotation
            kp = det.location_data.relative_keypoints
            cx, cy = kp[0].x * w, kp[0].y * h
            half = POSE_ROI_SCALE * float(np.hypot(kp[1].x * w - cx, kp[1].y * h - cy))
            body = (cx - half, cy - half, cx + half, cy + half)
        else:
            fw, fh, cx = face[2] - face[0], face[3] - face[1], (face[0] + face[2]) / 2
            half = FACE_BODY_HALF_WIDTH * fw
            body = (cx - half, face[1] - FACE_BODY_ABOVE * fh, cx + half, face[1] + FACE_BODY_BELOW * fh)
        out.append(Evidence(face, body, score))
    return out


def load_person_finder(config: LiteConfig) -> PersonFinder:
    """Build the MediaPipe graphs once (pose detector, full-range face detector, general selfie
    segmenter). Imports mediapipe here; an ImportError propagates for the caller to explain."""
    import mediapipe as mp
    from google.protobuf import text_format
    from mediapipe.framework import calculator_pb2
    from mediapipe.python.solution_base import SolutionBase

    graph = text_format.Parse(_POSE_GRAPH, calculator_pb2.CalculatorGraphConfig())
    pose = SolutionBase(graph_config=graph, outputs=["detections"])
    faces = mp.solutions.face_detection.FaceDetection(model_selection=1, min_detection_confidence=0.2)
    selfie = mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=0)

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
