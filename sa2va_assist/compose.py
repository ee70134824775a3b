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

import numpy as np

from .spatial import locate, motion, place_phrase, position_phrase
from .tasks import phrase_of, understood
from .types import GroundedObject, Target, TextLine, VisionRequest, VisionResult
from .vocabulary import (
    HAZARD_CLASSES,
    a_or_an,
    capitalised,
    class_of,
    count_people,
    display_name,
    number_word,
    spoken_plural,
)

DEFAULT_SENTENCES = 2  # answer sentences said by default (hazards come on top)
UNSURE_BELOW = 0.35  # backend confidence (0..1) under which an object is said with "I'm not sure"
MAX_PLACED = 3  # objects of a plural answer given a position before the rest are only counted
IDENTIFY_SURE = 0.5  # detector confidence (0..1) an object needs to be named as what "this" is
CLOSE_TEXT_SHARE = 0.1  # text covering this share of the frame: a page, a label or a screen held close
CLOSE_OBJECT_SHARE = 0.5  # an object covering this share of the frame: held or right in front
CLOSE_MAX_M = 3.0  # in a close-up, nothing estimated farther than this is named (a reflection, a print)
HELD_MIN_SHARE = 0.2  # a thing one holds, filling this share of a close-up, may be named with doubt
NEAR_HELD_M = 0.6  # such a thing estimated this near (metres) makes the frame a close-up
# Things people hold up to the camera: in a close-up, one of these filling the view is plausible
# enough to be named with "possibly" from the ordinary detection bar (``DETECT_SURE``) up.
HANDHELD = frozenset({
    "bottle", "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple", "sandwich",
    "orange", "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "cell phone", "remote", "mouse",
    "book", "clock", "vase", "scissors", "teddy bear", "hair drier", "toothbrush", "sports ball",
    "frisbee", "handbag", "tie", "umbrella",
})  # fmt: skip
DETECT_SURE = 0.3  # the detector's own bar for counting an object (lite.detect_threshold's default)
CANT_IDENTIFY = (
    "I can't tell what this is. Try moving the camera back a little, or turn the object so its label "
    "faces the camera; Sa2VA, if it is set up, recognises more."
)
TEXT_UNSURE_BELOW = 0.8  # OCR confidence (0..1) under which a quoted line is marked "(unsure)"
MAX_CLASSES = 5  # classes a description places before the rest are only named
CAPTION_MAX_LINES = 3  # a description quotes this many lines of text, then says how many more
NOTHING_RECOGNISED = "Nothing I recognise here: no one in view, no everyday object and no legible text."
# a sentence ends at . ! ? (or one closing a quote, unless another quoted line follows) before a capital
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])|(?<=[.!?]\")\s+(?=[A-Z0-9'(])")


class Seen(TypedDict):
    """One object as the agent speaks of and remembers it."""

    name: str  # what to call it: the user's noun or the class ("red cup", "person")
    label: str | None  # object class when known ("cup"), for distances and re-finding
    words: str  # noun-first position: "Red cup, 2 o'clock, within reach."
    place: str  # the place alone: "2 o'clock, within reach" ("" when not placed)
    hour: int | None  # clock direction 1..12, None when not placed
    distance_m: float | None  # rough metres, None when the class size is unknown
    x: float  # centroid, share of the frame width (0 = left edge)
    y: float  # centroid, share of the frame height (0 = top)
    bottom: float  # lowest edge of its box, share of the frame height
    area: float  # mask area, share of the frame
    motion: str | None  # "coming closer", "moving left", ... across the turn's frames
    score: float | None  # the backend's confidence 0..1 when it gives one


def place_words(seen: Seen) -> str:
    """Where it is, without its name: "2 o'clock, within reach" ("" when not placed, or remembered
    by a version that did not keep the place apart)."""
    return seen.get("place", "")


def renamed(seen: Seen, name: str) -> Seen:
    """``seen`` under another name, its words too: "Cup, 2 o'clock, ..." -> "Red cup, 2 o'clock, ..."."""
    where, capital = place_words(seen), capitalised(name)
    out = seen.copy()
    out["name"] = name
    out["words"] = f"{capital}, {where}." if where else f"{capital}."
    return out


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
    name = display_name(name)
    assert last.centroid is not None and last.box is not None
    return Seen(
        name=name,
        label=label,
        words=position_phrase(name, last),
        place=place_phrase(last),
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
        seen = summarise(obj, name or obj.label or obj.phrase, fov_deg)  # "tv" said "TV" there
        if seen is not None:
            out.append(seen)
    return out


def sentences_of(text: str) -> list[str]:
    """Split an answer into sentences ("3.99" and "o'clock" stay whole, and so does a quoted reading:
    'Text reads: "lazy fox. The quick" "brown dog".' is one sentence, not cut inside its quotes)."""
    out: list[str] = []
    start = 0
    for end in _SENTENCE_END.finditer(text := text.strip()):
        if text.count('"', start, end.start()) % 2 == 0:  # not inside a quotation
            out.append(text[start : end.start()])
            start = end.end()
    out.append(text[start:])
    return [s.strip() for s in out if s.strip()]


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


def kind_answer(target: Target, seen: Sequence[Seen]) -> str:
    """For a thing named by a kind the backend has no class for ("the goat": ``Target.kind``): that
    it cannot tell which, then every object of that kind it found, each with what the detector
    thinks it is: "I can't tell a goat from other animals offline; there is an animal at 2 o'clock,
    roughly 3 metres away, possibly a sheep." Never "Goat, 2 o'clock"."""
    kind, head = target.kind or "object", _noun(target.head or target.words) or "that"
    asked = head if target.plural else a_or_an(head)
    doubt = f"I can't tell {asked} from other {spoken_plural(kind)} offline"
    if not seen:
        return f"{doubt}, and I don't see any {spoken_plural(kind)}."
    ordered = sorted(seen, key=lambda s: s["x"])[:MAX_PLACED]
    places = [f"{place_words(s) or 'in view'}, possibly {a_or_an(display_name(s['label'] or s['name']))}"
              for s in ordered]  # fmt: skip
    if len(seen) == 1:
        return f"{doubt}; there is {a_or_an(kind)} at {places[0]}."
    more = len(seen) - len(places)
    tail = f"; and {number_word(more)} more" if more > 0 else ""
    return f"{doubt}; there are {number_word(len(seen))} {spoken_plural(kind)}: {'; '.join(places)}{tail}."


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


def quote_lines(lines: Sequence[TextLine], limit: int | None = None) -> str:
    """Lines verbatim in double quotes, joined by spaces; lines read with less than
    ``TEXT_UNSURE_BELOW`` confidence marked "(unsure)"; beyond ``limit`` lines, "and N more lines"."""
    shown = list(lines if limit is None else lines[:limit])
    parts = [
        f'"{line.text}"' + (" (unsure)" if line.confidence < TEXT_UNSURE_BELOW else "") for line in shown
    ]
    rest = len(lines) - len(shown)
    if rest > 0:
        parts.append(f"and {number_word(rest)} more {'line' if rest == 1 else 'lines'}")
    return " ".join(parts)


def read_answer(lines: Sequence[TextLine], illegible: int = 0) -> str:
    """The answer to "read": every legible line, quoted, in reading order, then how many lines were
    there but could not be read clearly (with what to try when nothing could)."""
    if not lines:
        if illegible:
            return "I see text but can't read it clearly. Try moving closer or holding the camera steady."
        return "I don't see any legible text."
    if not illegible:
        return quote_lines(lines)
    more = "One more line" if illegible == 1 else f"{capitalised(number_word(illegible))} more lines"
    return f"{quote_lines(lines)}. {more} I couldn't read."


def _describe_rank(label: str, group: Sequence[Seen]) -> tuple[int, float]:
    rank = 0 if label in HAZARD_CLASSES else 1 if label == "person" else 2
    return rank, -max(s["area"] for s in group)


def _counted(label: str, n: int) -> str:
    return a_or_an(display_name(label)) if n == 1 else f"{number_word(n)} {spoken_plural(label)}"


def describe(seen: Sequence[Seen], lines: Sequence[TextLine] = (), unsure_below: float = UNSURE_BELOW) -> str:
    """What is in view, one sentence per class, most important first (hazards, then people, then
    the biggest): "A car, 1 o'clock, roughly 6 metres away. Two people: 11 o'clock, roughly 3 metres
    away; 12 o'clock, roughly 4 metres away. Also a cup and a chair. Text reads: "EXIT"." The
    nearest ``MAX_PLACED`` of a class are placed, left to right; beyond ``MAX_CLASSES`` classes only
    named. A class the backend is unsure of (no instance at ``unsure_below`` or more) is said with
    "possibly", never as fact. Says so plainly when there is nothing."""
    groups: dict[str, list[Seen]] = {}
    for s in seen:
        groups.setdefault(s["label"] or s["name"], []).append(s)
    ordered = sorted(groups.items(), key=lambda kv: _describe_rank(*kv))

    def counted(label: str, group: list[Seen]) -> str:
        unsure = all(s["score"] is not None and s["score"] < unsure_below for s in group)
        return f"{'possibly ' if unsure else ''}{_counted(label, len(group))}"

    sentences = []
    for label, group in ordered[:MAX_CLASSES]:
        noun = capitalised(counted(label, group))
        nearest = sorted(group, key=lambda s: -s["area"])[:MAX_PLACED]
        places = "; ".join(place_words(s) for s in sorted(nearest, key=lambda s: s["x"]))
        sentences.append(f"{noun}{',' if len(group) == 1 else ':'} {places}.")
    rest = [counted(label, group) for label, group in ordered[MAX_CLASSES:]]
    if rest:
        sentences.append(f"Also {', '.join(rest[:-1]) + ' and ' if len(rest) > 1 else ''}{rest[-1]}.")
    if lines:
        sentences.append(f"Text reads: {quote_lines(lines, CAPTION_MAX_LINES)}.")
    return " ".join(sentences) or NOTHING_RECOGNISED


AHEAD_HOURS = frozenset({11, 12, 1})  # clock hours counted as "in front"
NEAR_M = 3.0  # "who is near": people estimated closer than this many metres


def _counted_places(noun: str, seen: Sequence[Seen]) -> str:
    """ "Two cups: 11 o'clock, within reach; 1 o'clock, roughly 2 metres away." (up to MAX_PLACED)."""
    places = "; ".join(place_words(s) for s in sorted(seen, key=lambda s: s["x"])[:MAX_PLACED])
    return f"{capitalised(noun)}: {places}."


def identify_answer(result: VisionResult, fov_deg: float) -> str:
    """The answer to "what is this?": the main thing only when the detector is sure of it
    (``IDENTIFY_SURE``) and it is plausible at that range (in a close-up, nothing far away), or,
    with "possibly", a thing people hold that fills a close-up; then the largest print on it ("A
    bottle; it says ..."); "I can't tell what this is" with what to try when neither is reliable.
    Says less rather than name something that is not there."""
    lines = list(result.text_lines)
    pairs = [(o, seen) for o in result.objects if o.label != "text"
             if (seen := summarise(o, o.label or o.phrase, fov_deg)) is not None]  # fmt: skip
    placed = [seen for _, seen in pairs]
    sure, held = _reliable(placed, _close_up(result, placed))
    main = max(sure or held, key=lambda s: s["area"], default=None)
    if main is not None:
        thing = a_or_an(display_name(main["name"]))
        thing = capitalised(thing) if sure else f"Possibly {thing}"
        mask = next(o for o, seen in pairs if seen is main).masks
        on_it = [line for line in lines if _lies_on(line, mask)]
        if on_it:
            return f"{thing}; it says {_largest_print(on_it)}."
        nearby = f" Text nearby: {_largest_print(lines)}." if lines else ""
        return f"{thing}, {place_words(main)}.{nearby}"
    if lines:
        return f"It says {_largest_print(lines)}. I can't tell what the object is."
    return CANT_IDENTIFY


def _reliable(placed: Sequence[Seen], close: bool) -> tuple[list[Seen], list[Seen]]:
    """(objects the detector is sure of, things people hold that fill a close-up): what may be
    named about a photo; in a close-up nothing estimated far away (a reflection, a picture)."""
    if close:
        placed = [s for s in placed if s["distance_m"] is None or s["distance_m"] <= CLOSE_MAX_M]
    sure = [s for s in placed if (1.0 if s["score"] is None else s["score"]) >= IDENTIFY_SURE]
    held = [s for s in placed if close and s["label"] in HANDHELD and s["area"] >= HELD_MIN_SHARE
            and (s["score"] or 0.0) >= DETECT_SURE and s not in sure]  # fmt: skip
    return sure, held


def _largest_print(lines: Sequence[TextLine]) -> str:
    """The two lines in the largest print (legible ones first), quoted in reading order, and "and
    more" when there are others."""
    legible = [line for line in lines if line.confidence >= TEXT_UNSURE_BELOW] or list(lines)
    tallest = sorted(legible, key=lambda line: -_print_height(line))[:2]
    shown = [line for line in lines if line in tallest]
    return quote_lines(shown) + (" and more" if len(lines) > len(shown) else "")


def _lies_on(line: TextLine, masks: np.ndarray) -> bool:
    """Whether the line's centre lies on the object (its mask on the line's frame, else its last)."""
    mask = masks[line.frame] if line.frame < masks.shape[0] and masks[line.frame].any() else masks[-1]
    x0, y0, x1, y1 = line.box
    cy, cx = min((y0 + y1) // 2, mask.shape[0] - 1), min((x0 + x1) // 2, mask.shape[1] - 1)
    return bool(mask[max(cy, 0), max(cx, 0)])


def _print_height(line: TextLine) -> float:
    """The line's print height: measured across the line by the backend, else its box's height."""
    return line.height if line.height is not None else float(line.box[3] - line.box[1])


def _close_up(result: VisionResult, placed: Sequence[Seen]) -> bool:
    """Whether the frame is a close-up: a page, a label or a screen (text covers much of it), or an
    object filling the view or within reach and large in it."""
    shape = next((o.masks.shape[1:] for o in result.objects), None)
    if shape is None:
        return bool(result.text_lines)
    area = float(shape[0] * shape[1]) or 1.0
    text = sum((x1 - x0) * (y1 - y0) for x0, y0, x1, y1 in (line.box for line in result.text_lines))
    near = any(s["distance_m"] is not None and s["distance_m"] <= NEAR_HELD_M for s in placed
               if s["area"] >= HELD_MIN_SHARE)  # fmt: skip
    return (
        text / area >= CLOSE_TEXT_SHARE
        or near
        or max((s["area"] for s in placed), default=0.0) >= CLOSE_OBJECT_SHARE
    )


def question_answer(result: VisionResult, fov_deg: float) -> str:
    """The answer to the question ``result.question`` about ``result.subject`` from the objects that
    answer it: "Two cups: ...", "Yes. One person: ...", "The cup looks red. Colours are
    approximate.", "Ahead: ...", "One person near you: ...", "No, I don't see any legible text."."""
    question, subject = result.question, result.subject or Target()
    if question == "identify":
        return identify_answer(result, fov_deg)
    lines = result.text_lines
    if subject.label == "text":
        if question == "read":
            return read_answer(lines, result.illegible)
        return (
            f"Yes: {quote_lines(lines, CAPTION_MAX_LINES)}." if lines else "No, I don't see any legible text."
        )
    seen = place(result.objects, fov_deg)
    if _kind_only(subject) and question in ("how_many", "is_there", "what_colour"):
        return kind_answer(subject, seen)
    label = subject.label or subject.words or "that"
    name = display_name(label)
    people = label == "person"
    if question == "ahead":
        ahead = [s for s in seen if s["hour"] in AHEAD_HOURS]
        return f"Ahead: {describe(ahead)}" if ahead else "Nothing I recognise straight ahead."
    if question == "near":
        near = sorted(
            (s for s in seen if s["distance_m"] is not None and s["distance_m"] < NEAR_M),
            key=lambda s: s["distance_m"] or 0.0,
        )
        if not near:
            farther = f" {capitalised(count_people(len(seen)))} farther away." if seen else ""
            return f"No one within about {NEAR_M:.0f} metres.{farther}"
        return f"{capitalised(count_people(len(near)))} near you: {'; '.join(place_words(s) for s in near)}."
    named = subject.head or subject.words  # the user's word for it ("mug"), not the class
    asked = _noun(named) or name  # "I don't see a mug."
    if question == "what_colour":
        if not result.objects:
            return f"I don't see {a_or_an(asked)}."
        colours = result.objects[0].attributes.get("colours") or []
        said = " and ".join(colours) if colours else "of mixed colours"
        return f"The {named or name} looks {said}. Colours are approximate."
    if not seen:
        if people:
            return "No, I don't see anyone." if question == "is_there" else "I don't see any people."
        return (
            f"I don't see any {spoken_plural(name)}." if subject.plural else f"I don't see {a_or_an(name)}."
        )
    noun = (
        count_people(len(seen))
        if people
        else f"{number_word(len(seen))} {name if len(seen) == 1 else spoken_plural(label)}"
    )
    summary = _counted_places(noun, seen)
    return f"Yes. {summary}" if question == "is_there" else summary


def _same(phrase: str, words: str) -> bool:
    return " ".join(phrase.casefold().split()) == " ".join(words.casefold().split())


def _groups(
    targets: Sequence[Target], objects: Sequence[GroundedObject]
) -> list[tuple[Target, list[GroundedObject]]]:
    """Which target each object answers: the one whose words it carries as its phrase; the others in
    order, one each, to the targets nothing matched when the counts agree, else to the first."""
    if not targets:
        return [(Target(), list(objects))]
    groups: list[list[GroundedObject]] = [[] for _ in targets]
    rest: list[GroundedObject] = []
    reading = next((i for i, t in enumerate(targets) if t.label == "text"), None)
    for obj in objects:
        i = next((i for i, t in enumerate(targets) if _same(obj.phrase, phrase_of(t))), None)
        if i is None and obj.label == "text" and reading is not None:
            i = reading  # lines of text are one reading, whichever words asked for it
        (groups[i] if i is not None else rest).append(obj)
    empty = [i for i, g in enumerate(groups) if not g]
    if rest and len(rest) == len(empty):
        for i, obj in zip(empty, rest, strict=True):
            groups[i].append(obj)
    elif rest:
        groups[empty[0] if empty else 0] += rest
    return list(zip(targets, groups, strict=True))


def found_answer(
    targets: Sequence[Target], result: VisionResult, fov_deg: float, unsure_below: float = UNSURE_BELOW
) -> list[str]:
    """Where the objects a segmentation found are, per target named ("Bear, 12 o'clock, roughly 3
    metres away."; "Two cups: ..."; text quoted where it is), or that it is not in view ("I don't see
    a cup."; "I see a cup, but not the red cup."), and the question back when a singular reference
    fitted several ("Two cups: one at 11 o'clock, one at 1 o'clock. Which one?"): from the result's
    facts alone, the same words whichever backend found them. Targets the backend said it has no
    model for (``result.unrecognised``) are left to its own words."""
    said: list[str] = []
    read = False
    alike = place(result.alternatives, fov_deg)  # once: a singular reference that fitted several
    for target, found in _groups(targets, result.objects):
        if any(_same(u, phrase_of(target)) for u in result.unrecognised):
            continue
        if target.label == "text":  # "the sign and the words": one reading
            if read:
                continue
            read = True
        text = [o for o in found if o.label == "text"]
        seen = place([o for o in found if o.label != "text"], fov_deg)
        if text:
            said.append(_text_sentence(text, result.text_lines, fov_deg))
        if _kind_only(target):
            said.append(kind_answer(target, seen))
            continue
        name = display_name(
            target.label or (seen[0]["name"] if seen else "") or _noun(target.words) or "that"
        )
        if seen:
            several = spoken_plural(target.label) if target.label else name
            said += objects_answer(several, seen, target.plural or len(seen) > 1, unsure_below)
            if len(alike) > 1 and not target.plural:
                said.append(which_one(spoken_plural(target.label or name), alike))
        elif not text:
            said.append(_not_found(name, target, result.unmatched))
    return said


def _kind_only(target: Target) -> bool:
    """Whether ``target`` names a member of a kind with no class ("the goat"), not the kind itself
    ("the animal": whatever animal is found is the answer)."""
    head = (target.head or "").lower()
    return bool(target.kind) and head not in (target.kind, spoken_plural(target.kind or ""))


def _noun(words: str) -> str:
    """The words without their article: "the keys" -> "keys"."""
    return re.sub(r"^(?:the|a|an|my|your|our|some|any)\s+", "", words.strip(), flags=re.I)


def _not_found(name: str, target: Target, unmatched: Sequence[str]) -> str:
    if unmatched and not target.plural:  # one like it is there, but not with that colour, side, ...
        return f"I see {a_or_an(name)}, but not {unmatched[0]}."
    if name == "text":
        return "I don't see any legible text."
    return f"I don't see any {spoken_plural(name)}." if target.plural else f"I don't see {a_or_an(name)}."


def _text_sentence(objects: Sequence[GroundedObject], lines: Sequence[TextLine], fov_deg: float) -> str:
    """'Text, 12 o'clock, at eye level: "EXIT".' where the text regions are, and what they say."""
    union = np.logical_or.reduce([o.masks for o in objects])
    last = max(i for i in range(union.shape[0]) if union[i].any())
    where = position_phrase("Text", locate(union[last], None, fov_deg))[:-1]
    quoted = quote_lines(lines) or quote_lines([TextLine(o.phrase, (0, 0, 0, 0), 1.0) for o in objects])
    return f"{where}: {quoted}."


def answered(
    request: VisionRequest, result: VisionResult, fov_deg: float, unsure_below: float = UNSURE_BELOW
) -> VisionResult:
    """``result`` with its ``answer`` worded here: a segmentation (or a "where is" question the
    backend answered with objects only) is answered from its objects and facts (``found_answer``),
    then whatever the backend said in its own words, so ``ask`` says "Bear, 12 o'clock, roughly 3
    metres away." whichever backend found the bear; a reading from its lines (``read_answer``) and a
    description from its objects and lines (``describe``) when the backend left the words to us.
    Otherwise the backend's own answer stands (a model's reply)."""
    if result.task == "read" and not result.answer:
        return dataclasses.replace(result, answer=read_answer(result.text_lines, result.illegible))
    if result.question is not None and not result.answer:
        return dataclasses.replace(result, answer=question_answer(result, fov_deg))
    if result.task in ("caption", "gcg") and not result.answer:
        seen = place([o for o in result.objects if o.label != "text"], fov_deg)
        return dataclasses.replace(result, answer=describe(seen, result.text_lines, unsure_below))
    facts = result.objects or result.unmatched
    if result.task != "segment" and (result.answer or not facts):
        return result  # the backend answered in its own words (a caption, a count, a model's reply)
    words = found_answer(understood(request).targets, result, fov_deg, unsure_below)
    own = [result.answer] if result.answer else []  # what the backend adds ("I can't recognise ...")
    return dataclasses.replace(result, answer=" ".join(words + own))
