"""Facts for the questions detections can answer (how many, is there, what colour, what is ahead, who
is near) from one frame: what there is to count or to say is present, the colours an object measures,
everything scanned, the people. ``compose.question_answer`` words them. Honest: a class with no model
gets ``describe_unknown`` in the backend's own words, never a guess."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ...spatial import COCO_CLASSES
from ...types import Frame, GroundedObject, Question, Target, TextLine
from .answers import describe_unknown
from .colours import colour_shares
from .finder import box_of
from .objects import ObjectFinder, ground_image, referable

Reply = tuple[str, list[GroundedObject], list[TextLine]]  # the backend's own words, objects, text lines
COLOUR_MIN_SHARE = 0.25  # a colour is measured when at least this share of the object's pixels has it
ANSWERABLE: frozenset[Question] = frozenset({"how_many", "is_there", "what_colour", "ahead", "near"})


def facts(
    finder: ObjectFinder, image: np.ndarray, question: Question, subject: Target
) -> tuple[str, list[GroundedObject]]:
    """(the backend's own words, or "" when the objects answer; the objects) for a question in
    ``ANSWERABLE`` about ``subject``."""
    if question == "ahead":
        return "", [GroundedObject(f.label, f.mask[None], f.label, f.score) for f in finder.scan(image)]
    if question == "near":
        people = [d for d in finder.detect(image) if d.label == "person"]
        return "", _masked(finder, image, "person", people)
    phrase = subject.words
    if not subject.classes and subject.unknown:
        return describe_unknown(subject.unknown, COCO_CLASSES), []
    if question == "what_colour":
        grounding = ground_image(finder, Frame(image, 0, "frame"), subject, phrase)
        if not grounding.objects:
            return "", []
        obj = grounding.objects[0]
        shares = colour_shares(image, obj.masks[0], box_of(obj.masks[0]))
        obj.attributes["colours"] = [
            c for c, s in sorted(shares.items(), key=lambda kv: -kv[1]) if s >= COLOUR_MIN_SHARE
        ][:2]
        return "", grounding.objects
    detected = referable(finder.detect(image), subject, finder.threshold)  # lite.detect_threshold
    found = [d for d in detected if d.label in subject.classes]
    return "", _masked(finder, image, phrase, found)


def _masked(
    finder: ObjectFinder, image: np.ndarray, phrase: str, found: Sequence[Any]
) -> list[GroundedObject]:
    """Detections (label, score, box) as one-frame objects with masks."""
    return [GroundedObject(phrase, finder.mask(image, d.box, d.label)[None], d.label, d.score) for d in found]
