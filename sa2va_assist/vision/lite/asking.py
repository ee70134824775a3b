"""Answers to object questions (``questions.object_question``) from one frame's detections: counts,
presence, colour and what is ahead. Honest: a class with no model gets ``describe_unknown``, nothing
seen gets "I don't see ...", never a guess."""

from __future__ import annotations

import numpy as np

from ...spatial import COCO_CLASSES, locate
from ...types import Frame, GroundedObject, TextLine
from ...vocabulary import spoken_plural
from . import answers
from .captions import describe
from .colours import colour_shares
from .finder import box_of
from .objects import DETECT_THRESHOLD, ObjectFinder, ground_image, referable
from .referring import describe_unknown, parse_reference

AHEAD_HOURS = (11, 12, 1)  # clock hours counted as "in front"
Reply = tuple[str, list[GroundedObject], list[TextLine]]  # answer, objects, text lines
COLOUR_MIN_SHARE = 0.25  # a colour is named when at least this share of the object's pixels has it
NEAR_M = 3.0  # "who is near": people estimated closer than this many metres


def answer(finder: ObjectFinder, image: np.ndarray, kind: str, phrase: str, fov_deg: float) -> Reply:
    """The reply to a ``kind`` question ("count", "present", "colour", "ahead") about ``phrase``."""
    if kind == "ahead":
        ahead = [f for f in finder.scan(image) if locate(f.mask, None, fov_deg).clock_hour in AHEAD_HOURS]
        said = describe(ahead, fov_deg)
        return (f"Ahead: {said}" if said else "Nothing I recognise straight ahead."), [], []
    if kind == "near":
        return _near(finder, image, fov_deg)
    ref = parse_reference(phrase)
    if not ref.classes and ref.unknown:
        return describe_unknown(ref.unknown, COCO_CLASSES), [], []
    name = ref.head or (ref.classes[0] if ref.classes else "that")
    if kind == "colour":
        grounding = ground_image(finder, Frame(image, 0, "frame"), ref, phrase)
        if not grounding.objects:
            return answers.not_found(name, False), [], []
        obj = grounding.objects[0]
        shares = colour_shares(image, obj.masks[0], box_of(obj.masks[0]))
        top = [c for c, s in sorted(shares.items(), key=lambda kv: -kv[1]) if s >= COLOUR_MIN_SHARE][:2]
        said = " and ".join(top) if top else "of mixed colours"
        return f"The {name} looks {said}. Colours are approximate.", grounding.objects, []
    found = [d for d in referable(finder.detect(image, DETECT_THRESHOLD), ref) if d.label in ref.classes]
    objects = [
        GroundedObject(phrase, finder.mask(image, d.box, d.label)[None], d.label, d.score) for d in found
    ]
    if not found:
        return (
            answers.not_found(name if not ref.plural else spoken_plural(ref.classes[0]), ref.plural),
            [],
            [],
        )
    positions = [locate(o.masks[0], o.label, fov_deg) for o in objects]
    label = ref.classes[0]
    noun = answers.number_word(len(found)) + " " + (label if len(found) == 1 else spoken_plural(label))
    places = "; ".join(answers.where(p) for p in sorted(positions, key=lambda p: p.angle_deg or 0.0)[:3])
    summary = f"{answers.capitalised(noun)}: {places}."
    return (summary if kind == "count" else f"Yes. {summary}"), objects, []


def _near(finder: ObjectFinder, image: np.ndarray, fov_deg: float) -> Reply:
    """People within ``NEAR_M``, nearest first, by position only (never personal traits)."""
    people = [d for d in finder.detect(image) if d.label == "person"]
    objects = [
        GroundedObject("person", finder.mask(image, d.box, "person")[None], "person", d.score) for d in people
    ]
    placed = [(locate(o.masks[0], "person", fov_deg), o) for o in objects]
    near = sorted(
        ((p, o) for p, o in placed if p.distance_m is not None and p.distance_m < NEAR_M),
        key=lambda po: po[0].distance_m or 0.0,
    )
    if not near:
        farther = f" {answers.capitalised(answers.count_people(len(people)))} farther away." if people else ""
        return f"No one within about {NEAR_M:.0f} metres.{farther}", objects, []
    places = "; ".join(answers.where(p) for p, _ in near)
    return (
        f"{answers.capitalised(answers.count_people(len(near)))} near you: {places}.",
        [o for _, o in near],
        [],
    )
