"""Facts for object questions (``questions.object_question``) from one frame's detections: what is
there to count or to say is present, the colours an object measures, everything scanned (for "what is
ahead"), the people (for "who is near"). ``compose.question_answer`` words them. Honest: a class with
no model gets ``describe_unknown`` in the backend's own words, never a guess."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ...spatial import COCO_CLASSES
from ...types import Frame, GroundedObject, Question, Target, TextLine
from .colours import colour_shares
from .finder import box_of
from .objects import DETECT_THRESHOLD, ObjectFinder, ground_image, referable
from .referring import describe_unknown, parse_reference

Reply = tuple[str, list[GroundedObject], list[TextLine]]  # the backend's own words, objects, text lines
COLOUR_MIN_SHARE = 0.25  # a colour is measured when at least this share of the object's pixels has it
# lite's question kinds -> the contract's
QUESTION_OF: dict[str, Question] = {
    "count": "how_many", "present": "is_there", "colour": "what_colour", "ahead": "ahead", "near": "near",
}  # fmt: skip


def facts(
    finder: ObjectFinder, image: np.ndarray, kind: str, phrase: str
) -> tuple[str, list[GroundedObject], Target]:
    """(the backend's own words, or "" when the objects answer; the objects; what was asked about)
    for a ``kind`` question ("count", "present", "colour", "ahead", "near") about ``phrase``."""
    if kind == "ahead":
        scanned = [GroundedObject(f.label, f.mask[None], f.label, f.score) for f in finder.scan(image)]
        return "", scanned, Target(everything=True, plural=True)
    if kind == "near":
        people = [d for d in finder.detect(image) if d.label == "person"]
        everyone = Target(words="people", label="person", plural=True)
        return "", _masked(finder, image, "person", people), everyone
    ref = parse_reference(phrase)
    if not ref.classes and ref.unknown:
        return describe_unknown(ref.unknown, COCO_CLASSES), [], Target(words=phrase)
    label = ref.classes[0] if ref.classes else None
    subject = Target(words=ref.head or phrase, label=label, plural=ref.plural)
    if kind == "colour":
        grounding = ground_image(finder, Frame(image, 0, "frame"), ref, phrase)
        if not grounding.objects:
            return "", [], subject
        obj = grounding.objects[0]
        shares = colour_shares(image, obj.masks[0], box_of(obj.masks[0]))
        obj.attributes["colours"] = [
            c for c, s in sorted(shares.items(), key=lambda kv: -kv[1]) if s >= COLOUR_MIN_SHARE
        ][:2]
        return "", grounding.objects, subject
    found = [d for d in referable(finder.detect(image, DETECT_THRESHOLD), ref) if d.label in ref.classes]
    return "", _masked(finder, image, phrase, found), subject


def _masked(
    finder: ObjectFinder, image: np.ndarray, phrase: str, found: Sequence[Any]
) -> list[GroundedObject]:
    """Detections (label, score, box) as one-frame objects with masks."""
    return [GroundedObject(phrase, finder.mask(image, d.box, d.label)[None], d.label, d.score) for d in found]
