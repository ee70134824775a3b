"""Everyday objects (the 80 COCO classes) for the lite backend: detector boxes, masks cut on demand,
scene scans (the image and its mirror image), and referring phrases resolved to instances in one image
(``video_grounding`` follows them through video).

Only the objects an answer needs get a mask (about 6-10 ms each); a scan masks every candidate, since
it keeps only those whose mask covers 1 % of the view.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ...spatial import COCO_CLASSES
from ...types import Frame, GroundedObject, Target
from ...vocabulary import HAZARD_CLASSES
from .detector.detector import NMS_IOU, nms
from .finder import Found
from .masks import BoxMasker
from .resolving import Candidate, Resolution, resolve

DETECT_THRESHOLD = 0.3  # detector score (0..1) an object needs to be counted or chosen unnamed
# A scene scan (caption, "what is in front", the hazard scan) sees the image and its mirror image and
# keeps only objects whose mask covers MIN_AREA_SHARE of the view, so a weaker score is safe there:
# on the dev captions that check and the second view raised mentions found from 0.55 to 0.62 at the
# same precision (BENCHMARKS.md, "describe").
SCAN_THRESHOLD = 0.25
MIN_AREA_SHARE = 0.01  # mask area / frame area an object needs to be mentioned unasked (not a speck)
# A class the user names is accepted at a weaker score: they say it is there, and the CPU detector
# under-scores unusual views (a swan scored 0.27 as "bird").
REFER_THRESHOLD = 0.15
# Last resort for one named object that nothing above REFER_THRESHOLD matches: the best weak detection
# of that class, said with doubt ("Possibly ..."), rather than a flat "I don't see it".
FALLBACK_THRESHOLD = 0.1
# Classes the small detector confuses (MODELS.md: "a cat called dog"): when a named class has no
# detection at all, a detection of a sibling stands in for it, under the name the user used.
CONFUSABLE = (
    frozenset({"cat", "dog", "sheep", "cow", "horse", "bear"}),
    frozenset({"car", "truck", "bus"}),
    frozenset({"bicycle", "motorcycle"}),
)


@dataclass(frozen=True)
class Grounding:
    """What a referring phrase came to: its objects (masks per frame) and how it was resolved."""

    objects: list[GroundedObject]
    resolution: Resolution | None  # from the frame the choice was made on
    frame: int  # that frame's position in the request
    boxes: list[tuple[int, int, int, int]]  # the candidates' boxes there (``resolution`` indexes them)


class ObjectFinder:
    """Boxes from the detector, masks from the box masker. ``find`` is the ``Finder`` view (every
    detection with its mask); ``detect`` and ``mask`` let callers mask only what they need."""

    labels = frozenset(COCO_CLASSES)

    def __init__(
        self,
        detector: Any,
        masker: BoxMasker,
        threshold: float = DETECT_THRESHOLD,
        scan_threshold: float = SCAN_THRESHOLD,
    ) -> None:
        self.detector = detector
        self.masker = masker
        self.threshold = threshold
        self.scan_threshold = scan_threshold
        self.timings_ms: dict[str, float] = {}
        # The last image's detections and scan: several phrases (or a caption and a hazard scan) about
        # one frame detect once. Keyed by the array object itself (held here, so its identity cannot
        # be reused).
        self._last: tuple[np.ndarray, float, list[Any]] | None = None
        self._both: tuple[np.ndarray, float, list[Any]] | None = None
        self._scanned: tuple[np.ndarray, list[Found]] | None = None

    def detect(self, image: np.ndarray, threshold: float | None = None) -> list[Any]:
        """``Detection`` records (label, score, box, class_id), best first, scoring at least
        ``threshold`` (default: the configured one)."""
        wanted = self.threshold if threshold is None else threshold
        if self._last is not None and self._last[0] is image and self._last[1] <= wanted:
            return [d for d in self._last[2] if d.score >= wanted]
        start = time.perf_counter()
        try:
            found = list(self.detector.detect(image, wanted))
            self._last = (image, wanted, found)
            return list(found)
        finally:
            self._add("detect_ms", start)

    def detect_both(self, image: np.ndarray, threshold: float | None = None) -> list[Any]:
        """Detections of ``image`` and of its mirror image merged, best first: an object either view
        scores at least ``threshold`` counts, one box per object (the better view's). One more detector
        run (~30 ms) finds named objects more often: refseg gIoU 0.505 -> 0.525 (BENCHMARKS.md).
        Remembered for the last image."""
        wanted = self.threshold if threshold is None else threshold
        if self._both is not None and self._both[0] is image and self._both[1] <= wanted:
            return [d for d in self._both[2] if d.score >= wanted]
        start = time.perf_counter()
        try:
            mirrored = self.detector.detect(np.ascontiguousarray(image[:, ::-1]), wanted)
        finally:
            self._add("detect_ms", start)
        width = image.shape[1]
        merged = merge_views([*self.detect(image, wanted), *(mirror(d, width) for d in mirrored)])
        self._both = (image, wanted, merged)
        return list(merged)

    def scan(self, image: np.ndarray) -> list[Found]:
        """Every object worth mentioning unasked, best first: ``detect_both`` at ``scan_threshold``
        (a vehicle needs ``threshold``), each masked, kept when its mask covers at least
        ``MIN_AREA_SHARE`` of the frame. Remembered for the last image."""
        if self._scanned is not None and self._scanned[0] is image:
            return list(self._scanned[1])
        h, w = image.shape[:2]
        found = []
        for d in self.detect_both(image, self.scan_threshold):
            # Vehicles are said first, as warnings, so they need the full threshold: a false "Caution:
            # bus" costs more than a missed mention (a laptop screen filling a photo scored 0.26 "bus").
            if d.label in HAZARD_CLASSES and d.score < self.threshold:
                continue
            mask = self.mask(image, d.box, d.label)
            if np.count_nonzero(mask) >= MIN_AREA_SHARE * h * w:
                found.append(Found(d.label, mask, d.score, d.box))
        self._scanned = (image, found)
        return list(found)

    def mask(self, image: np.ndarray, box: Sequence[int], label: str) -> np.ndarray:
        """(H, W) bool mask of the ``label`` object inside ``box``."""
        start = time.perf_counter()
        try:
            return self.masker.mask(image, box, label)
        finally:
            self._add("mask_ms", start)

    def found(self, image: np.ndarray, ref: Target | None = None) -> list[Found]:
        """Detections with masks, as ``Found`` records: all of them, or those ``ref`` can mean."""
        detections = (
            self.detect(image)
            if ref is None
            else referable(self.detect(image, FALLBACK_THRESHOLD), ref, self.threshold)
        )
        return [Found(d.label, self.mask(image, d.box, d.label), d.score, d.box) for d in detections]

    def find(self, image: np.ndarray) -> list[Found]:
        return self.found(image)

    def take_timings(self) -> dict[str, float]:
        """Milliseconds spent since the last call, per stage; resets them."""
        out, self.timings_ms = self.timings_ms, {}
        return out

    def _add(self, key: str, start: float) -> None:
        self.timings_ms[key] = self.timings_ms.get(key, 0.0) + (time.perf_counter() - start) * 1000


def mirror(detection: Any, width: int) -> Any:
    """A detection made on the mirror image of a ``width``-pixel-wide frame, placed on the frame."""
    x0, y0, x1, y1 = detection.box
    return replace(detection, box=(width - x1, y0, width - x0, y1))


def merge_views(detections: Sequence[Any], same_iou: float = NMS_IOU) -> list[Any]:
    """One detection per object from detections of several views of one frame, best score first: a box
    overlapping a better one of its class by more than ``same_iou`` is the same object seen again."""
    if not detections:
        return []
    boxes = np.array([d.box for d in detections], np.float32)
    scores = np.array([d.score for d in detections], np.float32)
    classes = np.unique([d.label for d in detections], return_inverse=True)[1]
    return [detections[i] for i in nms(boxes, scores, classes, same_iou)]


def wanted_labels(ref: Target) -> frozenset[str]:
    """Every class the phrase can involve: its own, its relation's and its union parts'."""
    labels = set(ref.classes or COCO_CLASSES)
    if ref.relation is not None:
        labels |= wanted_labels(ref.relation.other)
    for part in ref.parts:
        labels |= wanted_labels(part)
    return frozenset(labels)


def threshold_for(ref: Target, counted: float = DETECT_THRESHOLD) -> float:
    """Detector score accepted for ``ref``: weaker for one named object (the user says it is there),
    ``counted`` (the configured ``lite.detect_threshold``) for plurals, which count every instance."""
    return counted if ref.plural else min(REFER_THRESHOLD, counted)


def referable(detections: Sequence[Any], ref: Target, counted: float = DETECT_THRESHOLD) -> list[Any]:
    """The detections ``ref`` can mean (its classes, its relation's, its parts') scoring at least
    ``threshold_for(ref, counted)``. For a singular phrase, a named class with none gets a confusable
    sibling renamed to it, else its weak detections down to ``FALLBACK_THRESHOLD`` (callers say those
    with doubt: their score stays under the counted threshold)."""
    labels, threshold = wanted_labels(ref), threshold_for(ref, counted)
    kept = [d for d in detections if d.label in labels and d.score >= threshold]
    for name in ref.classes:
        if any(d.label == name for d in kept):
            continue
        group = next((g for g in CONFUSABLE if name in g), frozenset())
        kept += [
            replace(d, label=name)
            for d in detections
            if d.label in group and d.label not in labels and d.score >= threshold
        ]
        if not ref.plural and not any(d.label == name for d in kept):
            kept += [d for d in detections if d.label == name and d.score >= FALLBACK_THRESHOLD]
    return kept


def grounded_objects(
    phrase: str, ref: Target, tracks: Sequence[tuple[str, np.ndarray, float]]
) -> list[GroundedObject]:
    """One object per track, or a single union object for "the horse and its rider"."""
    if not tracks:
        return []
    if ref.parts:
        union = np.logical_or.reduce([m for _, m, _ in tracks])
        return [GroundedObject(phrase, union, tracks[0][0], float(np.mean([s for *_, s in tracks])))]
    chosen = tracks if ref.plural else tracks[:1]
    return [GroundedObject(phrase, masks, label, score) for label, masks, score in chosen]


def ground_image(finder: ObjectFinder, frame: Frame, ref: Target, phrase: str) -> Grounding:
    """Resolve ``ref`` among one frame's detections (both mirror views) and mask the chosen ones."""
    image = frame.image
    detections = referable(finder.detect_both(image, FALLBACK_THRESHOLD), ref, finder.threshold)
    candidates = [Candidate(d.label, d.box, d.score) for d in detections]
    resolution = resolve(ref, candidates, image)
    tracks = [
        (
            detections[i].label,
            finder.mask(image, detections[i].box, detections[i].label)[None],
            detections[i].score,
        )
        for i in resolution.chosen
    ]
    return Grounding(grounded_objects(phrase, ref, tracks), resolution, 0, [d.box for d in detections])
