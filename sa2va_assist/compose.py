"""The one place answers are worded: whatever backend answered, the same sentences, thresholds and
hedges, for ``ask``, ``chat``, ``listen`` and everything built on them (ACCESSIBILITY.md).

Backends return facts: objects with masks, a class label when they know it, a score when they have
one, alternatives when a reference was ambiguous. ``place`` turns each object into a ``Seen`` (where it
was last seen, how it moved) once, through ``spatial``; the functions below put those into words:
hazards first, then the answer, then optional detail; one or two sentences unless more was asked for;
noun first with clock direction and distance; doubt said out loud below one threshold. Pure.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from typing import TypedDict

from .spatial import locate, motion, position_phrase
from .tasks import request_targets
from .types import GroundedObject, Target, VisionRequest, VisionResult
from .vocabulary import a_or_an, capitalised, class_of, number_word, spoken_plural

DEFAULT_SENTENCES = 2  # answer sentences said by default (hazards come on top)
UNSURE_BELOW = 0.35  # backend confidence (0..1) under which an object is said with "I'm not sure"
MAX_PLACED = 3  # objects of a plural answer given a position before the rest are only counted
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


class Seen(TypedDict):
    """One object as the agent speaks of and remembers it."""

    name: str  # what to call it: the user's noun or the class ("red cup", "person")
    label: str | None  # object class when known ("cup"), for distances and re-finding
    words: str  # noun-first position: "Red cup, 2 o'clock, within reach."
    hour: int | None  # clock direction 1..12, None when not placed
    distance_m: float | None  # rough metres, None when the class size is unknown
    x: float  # centroid, share of the frame width (0 = left edge)
    y: float  # centroid, share of the frame height (0 = top)
    bottom: float  # lowest edge of its box, share of the frame height
    area: float  # mask area, share of the frame
    motion: str | None  # "coming closer", "moving left", ... across the turn's frames
    score: float | None  # the backend's confidence 0..1 when it gives one


def place_words(seen: Seen) -> str:
    """The place part of its words, without the name or the full stop: "2 o'clock, within reach"
    ("" when the words hold no place)."""
    return seen["words"].split(", ", 1)[1].rstrip(".") if ", " in seen["words"] else ""


def summarise(obj: GroundedObject, name: str, fov_deg: float) -> Seen | None:
    """Where ``obj`` was last seen among its frames, and how it moved; None when never seen. Its
    class is the backend's label, else the class its phrase names (``vocabulary.class_of``: Sa2VA's
    "the bear" is a bear), so distances and hazards do not depend on which backend found it."""
    frames = [i for i in range(obj.masks.shape[0]) if obj.masks[i].any()]
    if not frames:
        return None
    label = obj.label or class_of(obj.phrase)  # a backend without class labels: the class it named
    last = locate(obj.masks[frames[-1]], label, fov_deg)
    first = locate(obj.masks[frames[0]], label, fov_deg)
    h, w = obj.masks.shape[1:]
    moved = motion(first, last, w) if len(frames) > 1 else None
    name = re.sub(r"\btv\b", "TV", name)
    assert last.centroid is not None and last.box is not None
    return Seen(
        name=name,
        label=label,
        words=position_phrase(name, last),
        hour=last.clock_hour,
        distance_m=None if last.distance_m is None else round(last.distance_m, 2),
        x=round(last.centroid[0] / w, 4),
        y=round(last.centroid[1] / h, 4),
        bottom=round(last.box[3] / h, 4),
        area=round(last.area_share, 5),
        motion=moved,
        score=None if obj.score is None else round(float(obj.score), 3),
    )


def place(objects: Sequence[GroundedObject], fov_deg: float, name: str | None = None) -> list[Seen]:
    """Summaries of every object that was seen, named ``name`` or else by class (then phrase)."""
    out = []
    for obj in objects:
        label_name = "TV" if obj.label == "tv" else obj.label
        seen = summarise(obj, name or label_name or obj.phrase, fov_deg)
        if seen is not None:
            out.append(seen)
    return out


def sentences_of(text: str) -> list[str]:
    """Split an answer into sentences ("3.99" and "o'clock" stay whole)."""
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]


def object_sentence(seen: Seen, unsure_below: float = UNSURE_BELOW) -> str:
    """ "Red cup, 2 o'clock, within reach, moving left." with "I'm not sure, but" for weak ones."""
    words = seen["words"]
    if seen["motion"]:
        words = f"{words[:-1]}, {seen['motion']}."
    if seen["score"] is not None and seen["score"] < unsure_below:
        return f"I'm not sure, but possibly: {words[:1].lower()}{words[1:]}"
    return words


def objects_answer(name: str, seen: Sequence[Seen], plural: bool, unsure_below: float) -> list[str]:
    """Where the found objects are: one sentence for one object; for several, one counted sentence
    placing them left to right ("Two cups: 11 o'clock, within reach; 1 o'clock, within reach.")."""
    ordered = sorted(seen, key=lambda s: s["x"])
    if not (plural and len(seen) > 1):
        return [object_sentence(s, unsure_below) for s in ordered[:MAX_PLACED]]
    places = []
    for s in ordered[:MAX_PLACED]:
        places.append(place_words(s) + (f", {s['motion']}" if s["motion"] else ""))
    more = len(seen) - len(places)
    tail = f"; and {number_word(more)} more" if more > 0 else ""
    return [f"{capitalised(number_word(len(seen)))} {name}: {'; '.join(p for p in places if p)}{tail}."]


def which_one(name: str, alternatives: Sequence[Seen]) -> str:
    """The question back for an ambiguous reference: "Two cups: one at 11 o'clock, one at 2 o'clock.
    Which one?" (left to right)."""
    ordered = sorted(alternatives, key=lambda s: s["x"])
    places = ", ".join(f"one at {s['hour']} o'clock" if s["hour"] else "one" for s in ordered)
    return f"{capitalised(number_word(len(ordered)))} {name}: {places}. Which one?"


def without_repeats(hazards: Sequence[str], answer: Sequence[str]) -> list[str]:
    """Answer sentences that do not restate a hazard already said ("Caution: car ..." then "A car ...")."""
    named = {m.group(1) for h in hazards if (m := re.search(r"(?:Caution: |path: )(\w[\w ]*?)(?: at|,)", h))}
    words = "|".join(map(re.escape, named))
    pattern = re.compile(rf"^(?:an? |one |two |three |\d+ )?(?:{words})(?:e?s)?\b", re.I)
    return [s for s in answer if not (named and pattern.match(s))]


def compose(
    hazards: Sequence[str], answer: Sequence[str], detail: int = 0, default: int = DEFAULT_SENTENCES
) -> list[str]:
    """Hazards first, then up to ``default + detail`` answer sentences."""
    body = without_repeats(hazards, answer)
    return [*hazards, *body[: default + detail]]


def found_answer(
    targets: Sequence[Target], result: VisionResult, fov_deg: float, unsure_below: float = UNSURE_BELOW
) -> list[str]:
    """Where the objects a segmentation found are, one answer per target named ("Bear, 12 o'clock,
    roughly 3 metres away."; "Two cups: ..."), or that it is not in view ("I don't see a cup."), from
    the result's objects alone: the same words whichever backend found them. Objects pair with
    targets in order when there is one per target; otherwise they are all the first target's."""
    objects = [o for o in result.objects if o.label != "text"]
    groups: list[tuple[Target, list[GroundedObject]]]
    if targets and len(objects) == len(targets):
        groups = [(t, [o]) for t, o in zip(targets, objects, strict=True)]
    else:
        groups = [(targets[0] if targets else Target(), objects)]
    said: list[str] = []
    for target, found in groups:
        seen = place(found, fov_deg)
        name = target.label or (seen[0]["name"] if seen else "") or target.words or "that"
        if target.label == "tv":
            name = "TV"
        if not seen:
            said.append(
                f"I don't see {a_or_an(name) if not target.plural else 'any ' + spoken_plural(name)}."
            )
            continue
        plural = target.plural or len(seen) > 1
        said += objects_answer(
            spoken_plural(target.label) if target.label else name, seen, plural, unsure_below
        )
    return said


def answered(
    request: VisionRequest, result: VisionResult, fov_deg: float, unsure_below: float = UNSURE_BELOW
) -> VisionResult:
    """``result`` with its ``answer`` worded here when the backend gave facts only: a segmentation
    whose model said nothing beyond "Sure, [SEG]." is answered from its objects (``found_answer``),
    so ``ask`` says "Bear, 12 o'clock, roughly 3 metres away." whichever backend found the bear."""
    if result.answer or result.task != "segment":
        return result
    words = found_answer(request_targets(request), result, fov_deg, unsure_below)
    return dataclasses.replace(result, answer=" ".join(words))
